"""A coordinator prints door flyers: the QR code leads to the ask form for that pod, and
each flyer fits on one printed page, Letter or A4."""

import io
import re

import pytest
import zxingcpp
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from tests.factories import make_category, make_pod, make_user, make_volunteer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf_pages(pdf):
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.fixture
def coordinator_page(browser_page, live_server, settings):
    settings.SITE_URL = live_server.url
    coordinator = make_user("maria", groups=["Coordinator"], is_staff=True)
    coordinator.set_password("a long coordinator password")
    coordinator.save()
    phone = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    browser_page.goto(f"{live_server.url}/en/admin/login/")
    browser_page.fill("#id_username", "maria")
    browser_page.fill("#id_password", "a long coordinator password")
    browser_page.locator('input[type="submit"]').click()
    # The second step, as from the app on Maria's phone.
    browser_page.wait_for_url("**/accounts/two-step/**")
    browser_page.fill('input[name="code"]', f"{totp(phone.bin_key):06d}")
    browser_page.locator('form:has(input[name="code"]) button[type="submit"]').click()
    browser_page.wait_for_url("**/admin/")
    return browser_page


def test_the_arabic_flyers_qr_code_opens_the_ask_form_for_its_pod(coordinator_page, live_server):
    pod = make_pod("Prospect Hill", slug="prospect-hill")
    point = make_volunteer("Ana", pods=[pod], phone="+16175550111", share_phone_on_flyer=True)
    pod.point_people.add(point)
    for n in range(12):
        make_category(f"need-{n}", name=f"A longer kind of help number {n}", applies_to="needs")
    page = coordinator_page

    page.goto(f"{live_server.url}/en/coordinators/flyers/?pod=prospect-hill&lang=ar&lang=zh-hans")

    qr = page.locator('section[lang="ar"] .qr svg')
    image = Image.open(io.BytesIO(qr.screenshot()))
    decoded = zxingcpp.read_barcodes(image)
    assert [code.text for code in decoded] == [f"{live_server.url}/ar/ask/?pod=prospect-hill"]

    page.emulate_media(media="print")
    for paper in ["Letter", "A4"]:
        assert pdf_pages(page.pdf(format=paper, print_background=True)) == 1, paper
    assert page.request_log.elsewhere == []


def test_each_pod_prints_on_its_own_page(coordinator_page, live_server):
    for name in ["North", "South", "East"]:
        make_pod(name, slug=name.lower())
    coordinator_page.goto(
        f"{live_server.url}/en/coordinators/flyers/?pod=north&pod=south&pod=east&lang=es&lang=ht"
    )
    coordinator_page.emulate_media(media="print")
    assert pdf_pages(coordinator_page.pdf(format="Letter")) == 3
