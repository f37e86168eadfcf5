"""{% per_visit "csrf_token" %}: a value that must be new on every visit, inside a page
that may be kept in memory (waltham_aid/kept_pages.py). While the page is being kept it
leaves a hole that is filled for each visitor; otherwise it is the value itself."""

from django import template

from waltham_aid import kept_pages

register = template.Library()


@register.simple_tag(takes_context=True)
def per_visit(context, name):
    request = context["request"]
    if kept_pages.keeping(request):
        return kept_pages.hole(name)
    return kept_pages.fill(request, name)
