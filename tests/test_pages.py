"""Every public page with the demo's real content, in Thai and in English."""

from __future__ import annotations

import re

import pytest

WEBINAR = "/sessions/unlocking-success-organisation-4-0-2021"
FOLLOW_UP = "/sessions/mindset-for-organisation-4-0-follow-up"
PANEL_AGENCIES_TH = [
    "สำนักงานปลัดกระทรวงยุติธรรม",
    "กรมสุขภาพจิต",
    "กรมพัฒนาที่ดิน",
    "กรมสรรพากร",
    "สถาบันวิจัยและพัฒนาพื้นที่สูง",
]
PEOPLE_TH = [
    "นางอารีย์พันธ์ เจริญสุข",
    "นายวัลลภ นาคบัว",
    "พญ.อัมพร เบญจพลพิทักษ์",
    "นางสาวเบญจพร ชาครานนท์",
    "นายปิ่นสาย สุรัสวดี",
    "นางเสาวนิตย์ พงษ์ประไพ",
    "ผศ.ดร.ทพญ.รัชฎา ฉายจิต",
]


def text_of(response) -> str:
    """The page's visible text, tags removed and whitespace folded."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def english(client) -> None:
    client.get("/language/en?next=/")


def test_home_shows_upcoming_summaries_and_takeaways(client, demo):
    page = text_of(client.get("/"))
    assert "แลกเปลี่ยนเรียนรู้ต่อยอด" in page  # the upcoming follow-up
    assert "ไขกุญแจความสำเร็จ" in page  # the latest summary
    assert "Hackatax" in page or "Justice" in page or "1323" in page  # recent takeaways


def test_session_list_upcoming_and_past(client, demo):
    upcoming = text_of(client.get("/sessions"))
    assert "แลกเปลี่ยนเรียนรู้ต่อยอด" in upcoming
    assert "ไขกุญแจความสำเร็จ" not in upcoming
    past = text_of(client.get("/sessions?when=past"))
    assert "ไขกุญแจความสำเร็จ" in past
    assert "13 ธ.ค. 64" in past or "วันจันทร์ที่ 13 ธันวาคม พ.ศ. 2564" in past


def test_session_list_filters_by_topic_and_agency(client, demo):
    by_agency = text_of(client.get("/sessions?when=all&agency=revenue-department"))
    assert "ไขกุญแจความสำเร็จ" in by_agency
    assert "แลกเปลี่ยนเรียนรู้ต่อยอด" not in by_agency
    by_topic = text_of(client.get("/sessions?when=all&topic=mindset-change"))
    assert "ไขกุญแจความสำเร็จ" in by_topic
    assert "แลกเปลี่ยนเรียนรู้ต่อยอด" in by_topic
    by_other_topic = text_of(client.get("/sessions?when=all&topic=digital-government"))
    assert "แลกเปลี่ยนเรียนรู้ต่อยอด" not in by_other_topic


def test_session_list_is_paginated(app, client, make_session):
    for _ in range(app.config["SESSIONS_PER_PAGE"] + 1):
        make_session()
    first = client.get("/sessions")
    assert 'rel="next"' in first.get_data(as_text=True)
    second = client.get("/sessions?page=2")
    assert second.status_code == 200
    assert "session-13" in second.get_data(as_text=True)
    assert client.get("/sessions?page=3").status_code == 404


def test_webinar_page_in_thai(client, demo):
    response = client.get(WEBINAR)
    assert response.status_code == 200
    page = text_of(response)
    assert "ไขกุญแจความสำเร็จ... เรื่อง (ไม่) ลับสู่การเป็นองค์การ 4.0" in page
    assert "วันจันทร์ที่ 13 ธันวาคม พ.ศ. 2564" in page
    assert "09:00–12:00 น." in page
    assert "เวลาไทย (GMT+07:00)" in page
    assert "ออนไลน์" in page
    assert "สำนักงาน ก.พ.ร." in page  # organiser
    for person in PEOPLE_TH:
        assert person in page
    for position in ["รองเลขาธิการ ก.พ.ร.", "อธิบดีกรมสุขภาพจิต", "รองคณบดีฝ่ายยุทธศาสตร์"]:
        assert position in page
    # the agenda: the opening talk, then the panel
    assert page.index("PMQA 4.0 กับการเปลี่ยนแปลงระบบราชการ") < page.index("ผู้ร่วมเสวนา")
    for role in ["ผู้บรรยาย", "ผู้ร่วมเสวนา", "ผู้ดำเนินการเสวนา"]:
        assert role in page
    # the published note with a section per agency, and the source
    assert "สรุปสาระสำคัญ" in page
    assert "Happiness Justice" in page
    assert "www.opdc.go.th" in page
    for agency in PANEL_AGENCIES_TH:
        assert agency in page
    # initiatives, secrets and the shared conclusion
    for initiative in ["Justice", "1323", "Hackatax", "Tax sandbox", "น้องอารี"]:
        assert initiative in page
    assert "เคล็ดลับความสำเร็จ" in page
    assert "ข้อสรุปร่วม" in page
    assert "Mindset" in page or "กรอบความคิด" in page


def test_webinar_page_in_english(client, demo):
    english(client)
    page = text_of(client.get(WEBINAR))
    assert "Monday 13 December 2021" in page
    assert "09:00–12:00" in page
    assert "Thailand Time (GMT+07:00)" in page
    assert "Online" in page
    for role in ["Speaker", "Panellist", "Moderator"]:
        assert role in page
    for agency in ["Revenue Department", "Department of Mental Health", "Land Development"]:
        assert agency in page
    assert "Shared conclusions" in page
    assert "mindset" in page.lower()


def test_conclusion_is_attributed_to_all_five_agencies(client, demo):
    html = client.get(WEBINAR).get_data(as_text=True)
    shared = html[html.index('id="shared-heading"') :]
    for slug in [
        "office-of-the-permanent-secretary-ministry-of-justice",
        "department-of-mental-health",
        "land-development-department",
        "revenue-department",
        "hrdi",
    ]:
        assert f'href="/agencies/{slug}"' in shared


def test_upcoming_session_shows_seats_and_hides_the_join_link(client, demo):
    html = client.get(FOLLOW_UP).get_data(as_text=True)
    assert "meet.example.org" not in html  # the join link is secret until registered
    assert "100" in text_of(client.get(FOLLOW_UP))


def test_agency_page_lists_sessions_people_and_takeaways(client, demo):
    page = text_of(client.get("/agencies/revenue-department"))
    assert "กรมสรรพากร" in page
    assert "กระทรวงการคลัง" in page  # the parent ministry
    assert "ไขกุญแจความสำเร็จ" in page  # its session, linked back
    assert "นายปิ่นสาย สุรัสวดี" in page
    assert "ที่ปรึกษาด้านยุทธศาสตร์การจัดเก็บภาษี" in page  # position as it was then
    assert "Hackatax" in page
    assert "ผลงานโดดเด่น" in page


def test_agency_page_in_english(client, demo):
    english(client)
    page = text_of(client.get("/agencies/revenue-department"))
    assert "Revenue Department" in page
    assert "Ministry of Finance" in page
    assert "Hackatax" in page


def test_ministry_page_lists_its_departments(client, demo):
    page = text_of(client.get("/agencies/ministry-of-finance"))
    assert "กรมสรรพากร" in page


def test_agencies_tree(client, demo):
    html = client.get("/agencies").get_data(as_text=True)
    finance = html.index("กระทรวงการคลัง")
    assert html.index("กรมสรรพากร", finance) > finance


def test_person_page(client, demo):
    page = text_of(client.get("/people/pinsai-surasawadee"))
    assert "นายปิ่นสาย สุรัสวดี" in page
    assert "ผู้ร่วมเสวนา" in page
    assert "ไขกุญแจความสำเร็จ" in page
    english(client)
    page = text_of(client.get("/people/pinsai-surasawadee"))
    assert "Pinsai Surasawadee" in page
    assert "Panellist" in page


def test_topic_page_gathers_takeaways_across_agencies(client, demo):
    page = text_of(client.get("/topics/mindset-change"))
    assert "การปรับกรอบความคิด" in page
    assert "ไขกุญแจความสำเร็จ" in page
    assert "แลกเปลี่ยนเรียนรู้ต่อยอด" in page
    assert "กรมสรรพากร" in page  # an attributed agency


def test_topics_index(client, demo):
    page = text_of(client.get("/topics"))
    assert "PMQA 4.0" in page
    assert "การปรับกรอบความคิด" in page


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("", ["Hackatax", "1323"], []),
        ("?agency=revenue-department", ["Hackatax"], ["1323"]),
        ("?agency=department-of-mental-health", ["1323"], ["Hackatax"]),
        ("?kind=conclusion", ["Mindset"], ["Hackatax"]),
        ("?topic=mindset-change&kind=conclusion", ["Mindset"], ["Hackatax"]),
    ],
)
def test_takeaways_filter(client, demo, query, present, absent):
    response = client.get("/takeaways" + query)
    assert response.status_code == 200
    page = text_of(response)
    for text in present:
        assert text in page
    for text in absent:
        assert text not in page


def test_every_page_has_a_language_switch(client, demo):
    for url in ["/", "/sessions", WEBINAR, "/agencies", "/agencies/hrdi", "/topics", "/takeaways"]:
        html = client.get(url).get_data(as_text=True)
        assert 'hreflang="en"' in html, url


def test_filters_show_what_was_chosen(client, demo):
    html = client.get("/takeaways?kind=conclusion&agency=hrdi").get_data(as_text=True)
    assert '<option value="hrdi" selected>' in html
    assert '<option value="conclusion" selected>' in html
    html = client.get("/sessions?when=all&topic=mindset-change").get_data(as_text=True)
    assert '<option value="mindset-change" selected>' in html
