from django.shortcuts import redirect, render
from django.utils.translation import get_language

from requests_app.antispam import allow_public_post
from volunteers.forms import SignUpForm
from volunteers.services import sign_up as sign_up_volunteer

RATE_LIMITED = 429


def sign_up(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not allow_public_post(request, "sign_up"):
            return render(
                request,
                "volunteers/sign_up.html",
                {"form": form, "rate_limited": True},
                status=RATE_LIMITED,
            )
        data = form.cleaned_data
        sign_up_volunteer(
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            languages=data["languages"],
            pods=data["pods"],
            categories=data["categories"],
            availability=data["availability"],
            language=get_language(),
        )
        return redirect("volunteers:signed_up")
    return render(request, "volunteers/sign_up.html", {"form": form})


def signed_up(request):
    return render(request, "volunteers/signed_up.html")
