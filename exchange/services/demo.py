"""Demo data: OPDC's exchange of 13 December 2021 in full, and one upcoming session.

`load_demo` is what ``flask exchange demo`` runs. It is idempotent: agencies, people, topics and
sessions are looked up by slug and created only when missing, and a session's agenda,
appearances, notes and takeaways are created only together with the session. A second run
therefore creates nothing and changes no row.

The model webinar comes from the OPDC news item of 14 December 2021 (www.opdc.go.th; the seed
``opdc-pmqa-4.0-webinar-2021.th.txt``). Thai names, prefixes, positions and the note are the
seed's own words; the English is our translation. Where the seed is silent (the time of day,
English renderings, websites, the upcoming session) the choices are ours and are marked here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from exchange.db import db
from exchange.models import (
    Agency,
    AgencyKind,
    AgendaItem,
    Appearance,
    ContentStatus,
    LearningSession,
    Note,
    NoteSection,
    Person,
    Role,
    SessionFormat,
    SessionStatus,
    Takeaway,
    TakeawayKind,
    Topic,
)
from exchange.services.reminders import default_reminders

TIMEZONE = "Asia/Bangkok"


def _p(text: str) -> str:
    """Collapse the line breaks and indentation of a source literal into single spaces."""
    return " ".join(text.split())


# --- the shapes of the data ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AgencySeed:
    """An agency; ``parent`` is the slug of one listed before it."""

    slug: str
    name_th: str
    name_en: str
    kind: AgencyKind
    abbr_th: str = ""
    abbr_en: str = ""
    parent: str | None = None
    website: str = ""


@dataclass(frozen=True, kw_only=True)
class PersonSeed:
    """A person, with the Thai prefix written without a trailing space (นาย, พญ.)."""

    slug: str
    prefix_th: str
    name_th: str
    prefix_en: str
    name_en: str


@dataclass(frozen=True, kw_only=True)
class TopicSeed:
    """A theme shared by sessions and takeaways."""

    slug: str
    name_th: str
    name_en: str
    description_th: str
    description_en: str


@dataclass(frozen=True, kw_only=True)
class AgendaSeed:
    """A part of a session, with wall-clock times in the session's timezone."""

    title_th: str
    title_en: str
    starts: time
    ends: time
    description_th: str = ""
    description_en: str = ""


@dataclass(frozen=True, kw_only=True)
class AppearanceSeed:
    """A person's part: position and agency as they were then; ``agenda`` indexes the agenda."""

    person: str
    role: Role
    position_title_th: str
    position_title_en: str
    agency: str
    agenda: int


@dataclass(frozen=True, kw_only=True)
class SectionSeed:
    """One agency's part of a note; the heading is the agency's name in the note's language."""

    agency: str
    body: str


@dataclass(frozen=True, kw_only=True)
class NoteSeed:
    """A session summary in one language: introduction, sections per agency, conclusion."""

    language: str
    title: str
    body: str
    sections: tuple[SectionSeed, ...]
    conclusion: str
    source_name: str
    source_url: str
    published_at: datetime


@dataclass(frozen=True, kw_only=True)
class TakeawaySeed:
    """One lesson, attributed to agencies (slugs) and tagged with topics (slugs)."""

    kind: TakeawayKind
    statement_th: str
    statement_en: str
    agencies: tuple[str, ...]
    topics: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class SessionSeed:
    """A session without its date, which `load_demo` supplies."""

    slug: str
    title_th: str
    title_en: str
    description_th: str
    description_en: str
    organiser: str
    format: SessionFormat
    platform: str
    starts: time
    ends: time
    topics: tuple[str, ...]
    agenda: tuple[AgendaSeed, ...]
    join_url: str = ""
    capacity: int | None = None
    appearances: tuple[AppearanceSeed, ...] = ()
    notes: tuple[NoteSeed, ...] = ()
    takeaways: tuple[TakeawaySeed, ...] = ()


# --- agencies, people, topics ----------------------------------------------------------------

# Parents before children. Websites only where certain. HRDI's parent: it was set up under the
# Ministry of Agriculture and Cooperatives, whose minister oversees it (Royal Decree of 2005).
AGENCIES: tuple[AgencySeed, ...] = (
    AgencySeed(
        slug="office-of-the-prime-minister",
        name_th="สำนักนายกรัฐมนตรี",
        name_en="Office of the Prime Minister",
        kind=AgencyKind.MINISTRY,
    ),
    AgencySeed(
        slug="opdc",
        name_th="สำนักงาน ก.พ.ร.",
        name_en="Office of the Public Sector Development Commission",
        abbr_th="ก.พ.ร.",
        abbr_en="OPDC",
        kind=AgencyKind.OFFICE,
        parent="office-of-the-prime-minister",
        website="https://www.opdc.go.th",
    ),
    AgencySeed(
        slug="ministry-of-justice",
        name_th="กระทรวงยุติธรรม",
        name_en="Ministry of Justice",
        abbr_th="ยธ.",
        abbr_en="MOJ",
        kind=AgencyKind.MINISTRY,
        website="https://www.moj.go.th",
    ),
    AgencySeed(
        slug="office-of-the-permanent-secretary-ministry-of-justice",
        name_th="สำนักงานปลัดกระทรวงยุติธรรม",
        name_en="Office of the Permanent Secretary, Ministry of Justice",
        abbr_th="สป.ยธ.",
        kind=AgencyKind.OFFICE,
        parent="ministry-of-justice",
    ),
    AgencySeed(
        slug="ministry-of-public-health",
        name_th="กระทรวงสาธารณสุข",
        name_en="Ministry of Public Health",
        abbr_th="สธ.",
        abbr_en="MOPH",
        kind=AgencyKind.MINISTRY,
        website="https://www.moph.go.th",
    ),
    AgencySeed(
        slug="department-of-mental-health",
        name_th="กรมสุขภาพจิต",
        name_en="Department of Mental Health",
        abbr_en="DMH",
        kind=AgencyKind.DEPARTMENT,
        parent="ministry-of-public-health",
        website="https://www.dmh.go.th",
    ),
    AgencySeed(
        slug="ministry-of-agriculture-and-cooperatives",
        name_th="กระทรวงเกษตรและสหกรณ์",
        name_en="Ministry of Agriculture and Cooperatives",
        abbr_th="กษ.",
        abbr_en="MOAC",
        kind=AgencyKind.MINISTRY,
        website="https://www.moac.go.th",
    ),
    AgencySeed(
        slug="land-development-department",
        name_th="กรมพัฒนาที่ดิน",
        name_en="Land Development Department",
        abbr_th="พด.",
        abbr_en="LDD",
        kind=AgencyKind.DEPARTMENT,
        parent="ministry-of-agriculture-and-cooperatives",
        website="https://www.ldd.go.th",
    ),
    AgencySeed(
        slug="ministry-of-finance",
        name_th="กระทรวงการคลัง",
        name_en="Ministry of Finance",
        abbr_th="กค.",
        abbr_en="MOF",
        kind=AgencyKind.MINISTRY,
        website="https://www.mof.go.th",
    ),
    AgencySeed(
        slug="revenue-department",
        name_th="กรมสรรพากร",
        name_en="Revenue Department",
        abbr_en="RD",
        kind=AgencyKind.DEPARTMENT,
        parent="ministry-of-finance",
        website="https://www.rd.go.th",
    ),
    AgencySeed(
        slug="hrdi",
        name_th="สถาบันวิจัยและพัฒนาพื้นที่สูง (องค์การมหาชน)",
        name_en="Highland Research and Development Institute (Public Organization)",
        abbr_th="สวพส.",
        abbr_en="HRDI",
        kind=AgencyKind.INSTITUTE,
        parent="ministry-of-agriculture-and-cooperatives",
        website="https://www.hrdi.or.th",
    ),
    AgencySeed(
        slug="khon-kaen-university",
        name_th="มหาวิทยาลัยขอนแก่น",
        name_en="Khon Kaen University",
        abbr_th="มข.",
        abbr_en="KKU",
        kind=AgencyKind.UNIVERSITY,
        website="https://www.kku.ac.th",
    ),
    AgencySeed(
        slug="faculty-of-dentistry-khon-kaen-university",
        name_th="คณะทันตแพทยศาสตร์ มหาวิทยาลัยขอนแก่น",
        name_en="Faculty of Dentistry, Khon Kaen University",
        kind=AgencyKind.FACULTY,
        parent="khon-kaen-university",
    ),
)

# The five agencies of the panel, in the seed's order.
PANEL_AGENCIES: tuple[str, ...] = (
    "office-of-the-permanent-secretary-ministry-of-justice",
    "department-of-mental-health",
    "land-development-department",
    "revenue-department",
    "hrdi",
)

# In the seed's order. English names as these officials romanise them.
PEOPLE: tuple[PersonSeed, ...] = (
    PersonSeed(
        slug="areepan-charoensuk",
        prefix_th="นาง",
        name_th="อารีย์พันธ์ เจริญสุข",
        prefix_en="Mrs.",
        name_en="Areepan Charoensuk",
    ),
    PersonSeed(
        slug="wanlop-nakbua",
        prefix_th="นาย",
        name_th="วัลลภ นาคบัว",
        prefix_en="Mr.",
        name_en="Wanlop Nakbua",
    ),
    PersonSeed(
        slug="amporn-benjaponpitak",
        prefix_th="พญ.",
        name_th="อัมพร เบญจพลพิทักษ์",
        prefix_en="Dr.",
        name_en="Amporn Benjaponpitak",
    ),
    PersonSeed(
        slug="benjaporn-chakranon",
        prefix_th="นางสาว",
        name_th="เบญจพร ชาครานนท์",
        prefix_en="Ms.",
        name_en="Benjaporn Chakranon",
    ),
    PersonSeed(
        slug="pinsai-surasawadee",
        prefix_th="นาย",
        name_th="ปิ่นสาย สุรัสวดี",
        prefix_en="Mr.",
        name_en="Pinsai Surasawadee",
    ),
    PersonSeed(
        slug="saowanit-pongprapai",
        prefix_th="นาง",
        name_th="เสาวนิตย์ พงษ์ประไพ",
        prefix_en="Mrs.",
        name_en="Saowanit Pongprapai",
    ),
    PersonSeed(
        slug="rachada-chaijit",
        prefix_th="ผศ.ดร.ทพญ.",
        name_th="รัชฎา ฉายจิต",
        prefix_en="Asst. Prof. Dr.",
        name_en="Rachada Chaijit",
    ),
)

TOPICS: tuple[TopicSeed, ...] = (
    TopicSeed(
        slug="pmqa-4-0",
        name_th="PMQA 4.0",
        name_en="PMQA 4.0",
        description_th="เกณฑ์คุณภาพการบริหารจัดการภาครัฐ 4.0 และการนำไปใช้พัฒนาองค์การ",
        description_en=(
            "The Public Sector Management Quality Award 4.0 criteria, and using them to develop"
            " an organisation."
        ),
    ),
    TopicSeed(
        slug="bureaucracy-4-0",
        name_th="ระบบราชการ 4.0",
        name_en="Bureaucracy 4.0",
        description_th="การพัฒนาหน่วยงานภาครัฐสู่การเป็นระบบราชการ 4.0 ตามแนวทางประเทศไทย 4.0",
        description_en=(
            "Developing public agencies towards Thailand's Bureaucracy 4.0, the public-sector"
            " side of Thailand 4.0."
        ),
    ),
    TopicSeed(
        slug="mindset-change",
        name_th="การปรับกรอบความคิด",
        name_en="Mindset change",
        description_th="การปรับกรอบความคิด (Mindset) ของบุคลากรเพื่อการพัฒนาองค์การ",
        description_en="Changing the mindset of staff so that the organisation can develop.",
    ),
    TopicSeed(
        slug="digital-government",
        name_th="รัฐบาลดิจิทัล",
        name_en="Digital government",
        description_th="บริการและการทำงานภาครัฐด้วยระบบดิจิทัล ลดการใช้กระดาษ",
        description_en="Public services and work done digitally, with less paper.",
    ),
    TopicSeed(
        slug="citizen-centred-services",
        name_th="ประชาชนเป็นศูนย์กลาง",
        name_en="Citizen-centred services",
        description_th="การออกแบบบริการและการทำงานโดยยึดประชาชนเป็นศูนย์กลาง",
        description_en="Designing services and work around citizens and their needs.",
    ),
    TopicSeed(
        slug="leadership",
        name_th="ภาวะผู้นำ",
        name_en="Leadership",
        description_th="บทบาทของผู้นำและผู้บริหารในการพัฒนาองค์การ",
        description_en="The part leaders and executives play in developing an organisation.",
    ),
    TopicSeed(
        slug="innovation",
        name_th="นวัตกรรม",
        name_en="Innovation",
        description_th="ผลิตภัณฑ์ ระบบ และวิธีการทำงานใหม่ในภาครัฐ",
        description_en="New products, systems and ways of working in the public sector.",
    ),
    TopicSeed(
        slug="data-driven-decisions",
        name_th="ข้อมูลเพื่อการตัดสินใจ",
        name_en="Data-driven decisions",
        description_th="การเก็บและใช้ข้อมูลเพื่อกำหนดนโยบาย วางแผน และตัดสินใจ",
        description_en="Collecting and using data to set policy, plan and decide.",
    ),
)


# --- the model webinar of 13 December 2021 ----------------------------------------------------

WEBINAR_DAY = date(2021, 12, 13)  # a Monday
WEBINAR_TITLE_TH = "ไขกุญแจความสำเร็จ... เรื่อง (ไม่) ลับสู่การเป็นองค์การ 4.0"
WEBINAR_TITLE_EN = (
    "Unlocking the Key to Success... The (Not) Secret Story of Becoming a 4.0 Organisation"
)
# The news item's date, 14 December 2021; it gives no time, so 09:00 in Bangkok is assumed.
NOTE_PUBLISHED_AT = datetime(2021, 12, 14, 2, 0, tzinfo=UTC)

_WEBINAR_NOTE_TH = NoteSeed(
    language="th",
    title=f'สรุปการแลกเปลี่ยนเรียนรู้ "{WEBINAR_TITLE_TH}"',
    body="\n\n".join(
        (
            _p("""
                เมื่อวันที่ 13 ธันวาคม 2564 สำนักงาน ก.พ.ร. ได้จัดกิจกรรมแลกเปลี่ยนเรียนรู้ เรื่อง
                "ไขกุญแจความสำเร็จ... เรื่อง (ไม่) ลับสู่การเป็นองค์การ 4.0” ของ 5
                หน่วยงานโดดเด่นกับการพัฒนาองค์การสู่การเป็นระบบราชการ 4.0 ผ่านสื่ออิเล็กทรอนิกส์
            """),
            _p("""
                ในช่วงแรกนางอารีย์พันธ์ เจริญสุข รองเลขาธิการ ก.พ.ร. ได้มาถ่ายทอดประสบการณ์ในหัวข้อ
                PMQA 4.0 กับการเปลี่ยนแปลงระบบราชการ โดยได้กล่าวถึงแนวคิด และการเปลี่ยนแปลงจากการนำ
                PMQA 4.0 ไปใช้ในการพัฒนาระบบราชการ
            """),
            _p("""
                และในช่วงเสวนา ได้รับเกียรติจาก นายวัลลภ นาคบัว
                รองปลัดกระทรวงยุติธรรม พญ. อัมพร เบญจพลพิทักษ์ อธิบดีกรมสุขภาพจิต นางสาวเบญจพร
                ชาครานนท์ อธิบดีกรมพัฒนาที่ดิน นายปิ่นสาย สุรัสวดี
                ที่ปรึกษาด้านยุทธศาสตร์การจัดเก็บภาษี กรมสรรพากร และนางเสาวนิตย์ พงษ์ประไพ
                ที่ปรึกษาด้านแผนงานและต่างประเทศ สถาบันวิจัยและพัฒนาพื้นที่สูง
                มาแลกเปลี่ยนเคล็ดลับในการพัฒนาองค์การสู่การเป็นระบบราชการ 4.0
                ทำให้ได้ผลคะแนนการประเมินสถานะการเป็นระบบราชการ 4.0 ที่โดดเด่น รวมทั้งสามารถคว้ารางวัล
                PMQA 4.0 ในปี พ.ศ. 2564 โดยมี ผศ.ดร.ทพญ.รัชฎา ฉายจิต รองคณบดีฝ่ายยุทธศาสตร์
                คณะทันตแพทยศาสตร์ มหาวิทยาลัยขอนแก่น เป็นผู้ดำเนินการเสวนา
                ซึ่งเนื้อหาในการเสวนาสรุปได้มี ดังนี้
            """),
        )
    ),
    sections=(
        SectionSeed(
            agency="office-of-the-permanent-secretary-ministry-of-justice",
            body=_p("""
                สำนักงานปลัดกระทรวงยุติธรรม ด้วยลักษณะงานที่ต้องทำภารกิจที่เกี่ยวข้องกับประชาชน เช่น
                กลุ่มคนเปราะบาง การลดความเหลื่อมล้ำของประชาชน ดังนั้น
                จึงยึดความเป็นธรรมเป็นปัจจัยสำคัญ ให้ความสำคัญในการสื่อสารกับประชาชน ตามหลัก Happiness
                Justice ยุติธรรมเชิงรุก สร้างสุขให้ประชาชน
                โดยจากการขับเคลื่อนดังกล่าวนำไปสู่ผลงานโดดเด่น เช่น นโยบาย Justice care
                ที่มีการช่วยเหลือผู้เสียหายหรือเหยื่ออาชญากรรมแบบบูรณาการ
                ด้วยกลไกร่วมมือทุกภาคส่วนลงไปถึงระดับชุมชน
                เพื่อให้เป็นที่พึ่งของประชาชนและสร้างความเชื่อมั่นให้กับประชาชนได้
                โดยมีเคล็ดลับในพัฒนาไปสู่ความเป็นองค์การ 4.0 คือ ผู้นำต้องมีส่วนอย่างมากในการกำหนด
                Action plan ส่งเสริมการพัฒนาองค์การ
                ไม่หยุดอยู่กับที่เพื่อที่จะพัฒนาองค์การให้มีประสิทธิภาพยิ่งขึ้น และเป็น Role model
                ให้กับบุคลากร มีการสร้าง mindset ว่าทุกคนจะต้องทำให้ได้ดีกว่าเดิม ทำน้อยได้มาก
                มองเห็นภาพรวมให้ชัด เพื่อนำไปสู่การการกำหนดเป้าหมายและตัวชี้วัดที่ชัดเจน
            """),
        ),
        SectionSeed(
            agency="department-of-mental-health",
            body=_p("""
                กรมสุขภาพจิตได้มีการพัฒนาองค์การอย่างต่อเนื่อง โดยยึดหลัก Mental health is everywhere
                ด้วยการพยายามลดความเหลื่อมล้ำในการเข้ารับการดูแลและรักษา เช่น
                สายด่วนปรึกษาปัญหาสุขภาพจิต 1323
                เพื่อให้ประชาชนสามารถโทรไปปรึกษาปัญหาสุขภาพจิตได้ตลอดเวลา การพัฒนานวัตกรรม แอปพลิเคชัน
                Mental health check in สำหรับประเมินสภาวะทางจิตของประชาชน ทั้งนี้
                เพื่อให้ประชาชนเข้าถึงได้หลากหลายช่องทาง อีกทั้งยังสามารถเก็บข้อมูลให้เป็นปัจจุบัน
                สามารถนำใช้กำหนดนโยบายและวางแผนการดำเนินงานด้านสุขภาพจิตต่อไป
            """),
        ),
        SectionSeed(
            agency="land-development-department",
            body=_p("""
                กรมพัฒนาที่ดิน ได้มีการปรับตัวด้วยการนำระบบ PMQA 4.0 เข้ามาใช้
                โดยมีการเชื่อมโยงข้อมูลที่สำคัญระหว่างหน่วยงานของกระทรวงเกษตรและสหกรณ์
                บูรณาการการทำงานร่วมกันโดยยึดประชาชนเป็นศูนย์กลาง เปลี่ยนจากกระดาษเป็นระบบดิจิทัล
                ทำงานด้วยหลัก Paperless ซึ่งทำให้การเก็บข้อมูลต่าง ๆ ง่ายขึ้น
                การเข้าถึงหน่วยงานจากฝั่งประชาชนนั้นก็สามารถทำได้สะดวกโดยได้พัฒนา e-service และ Smart
                service มาใช้ในการให้บริการและการทำงาน ส่งผลให้ประหยัดทรัพยากรและเวลา
                รวมทั้งสร้างความพึงพอใจให้กับประชาชน ทั้งนี้ เคล็ดลับในพัฒนาไปสู่ความเป็นองค์การ 4.0
                คือ ทุกคนในองค์การต้องมีวิสัยทัศน์ ค่านิยมเดียวกัน เพื่อลดช่องว่างระหว่างระดับ
                และสามารถเดินไปข้างหน้าได้พร้อมกัน อีกทั้งมีการนำหลักการพี่สอนน้องหรือ coaching
                มาใช้ในองค์การเพื่อให้เกิดการถ่ายทอดความรู้ที่เร็วขึ้น
            """),
        ),
        SectionSeed(
            agency="revenue-department",
            body=_p("""
                กรมสรรพากร ใช้หลักในการแก้ปัญหาโดยยึดประชาชนเป็นศูนย์กลาง การหา Pain point
                ซึ่งแรงผลักดันที่ทำให้เกิดการพัฒนาเป็นผลมาจากสภาพแวดล้อมที่เปลี่ยนแปลงไป เช่น
                การเข้ามาของเทคโนโลยี รูปแบบการทำธุรกิจที่เปลี่ยนไป
                และการแลกเปลี่ยนข้อมูลระหว่างประเทศ สิ่งต่างๆ
                เหล่านี้ทำให้สรรพากรต้องปรับตัวและมีผลิตภัณฑ์หรือระบบใหม่ ๆ ออกมามากมาย เช่น Hackatax
                Tax sandbox และ AI น้องอารี เป็นต้น โดยมีเคล็ดลับความสำเร็จในการไปสู่การเป็นองค์การ
                4.0 คือ การใช้ Model of innovation เป็นกรอบ โดยเน้นการพัฒนาเรื่องคนและเทคโนโลยี เช่น
                ผู้บริหารต้องมีวิสัยทัศน์ไปในทางเดียวกัน แผนยุทธศาสตร์ และแผนปฏิบัติการต้องชัดเจน
                มีการประเมินผลองค์กรและทรัพยากรโดยใช้ตัวชี้วัด OKR และใช้ข้อมูลให้เกิดประโยชน์สูงสุด
                และการมีส่วนร่วมกับทั้งภายในและภายนอกองค์การ เพื่อนำมาพัฒนาหน่วยงานต่อไป
            """),
        ),
        SectionSeed(
            agency="hrdi",
            body=_p("""
                สถาบันวิจัยและพัฒนาพื้นที่สูง ได้นำ PMQA 4.0
                มาใช้ในการพัฒนาองค์การด้วยการยึดหลักประชาชนเป็นศูนย์กลางในการดำเนินการ
                ปฏิบัติกับทุกคนเท่าเทียมกัน สอดคล้องกับหลักการจากสหประชาชาติที่ว่า No one left behind
                เน้นการช่วยเหลือไปที่ชาวบ้านที่มีรายได้น้อย ช่วยแก้ปัญหาความยากจน
                ทำให้ประชาชนมีรายได้ต่อครัวเรือนมากขึ้น และมีการจัดเก็บเป็นฐานข้อมูลดิจิทัล
                โดยได้กลายเป็นส่วนสำคัญในการตัดสินใจเกี่ยวกับการจัดทำแผนพัฒนาชุมชน
                โดยมีเคล็ดลับในพัฒนาไปสู่ความเป็นองค์การ 4.0 คือ การใช้ความรู้ในการแก้ปัญหา
                ปรับความคิด และการหาเครื่องมือมาใช้ในการทำงานให้ดีขึ้น รวมทั้งใช้หลัก PMQA 4.0
                เป็นวิธีปฏิบัติขององค์การ
            """),
        ),
    ),
    conclusion=_p("""
        สุดท้ายสิ่งที่สำคัญที่สุดที่ทุกหน่วยงานเห็นตรงกันในเรื่องของการพัฒนาไปสู่การเป็นองค์การ
        4.0 คือการปรับกรอบความคิด (Mindset) ของบุคลากรว่า
        การพัฒนาองค์การนั้นเป็นสิ่งที่จำเป็นต้องทำ เนื่องจากสภาพแวดล้อมต่าง ๆ
        ได้มีการพัฒนาไปข้างหน้า
        ดังนั้นการปรับเปลี่ยนองค์การจึงเป็นสิ่งที่ต้องเกิดขึ้นอยู่แล้วเพื่อให้องค์การยังอยู่ได้
        และสามารถขับเคลื่อนไปข้างหน้าได้ต่อไป
    """),
    source_name="สำนักงาน ก.พ.ร.",
    source_url="https://www.opdc.go.th",
    published_at=NOTE_PUBLISHED_AT,
)

_WEBINAR_NOTE_EN = NoteSeed(
    language="en",
    title=f'Summary of the exchange "{WEBINAR_TITLE_EN}"',
    body="\n\n".join(
        (
            "*Translated from the Thai original published by the Office of the Public Sector"
            " Development Commission (www.opdc.go.th).*",
            _p("""
                On 13 December 2021 the Office of the Public Sector Development Commission (OPDC)
                held a knowledge-sharing activity, "Unlocking the Key to Success... The (Not)
                Secret Story of Becoming a 4.0 Organisation", with 5 agencies outstanding in
                developing their organisations towards Bureaucracy 4.0, online.
            """),
            _p("""
                In the first part, Mrs. Areepan Charoensuk, Deputy Secretary-General of the OPDC,
                shared her experience on "PMQA 4.0 and the transformation of the public sector",
                speaking about the concepts behind it and the changes that applying PMQA 4.0 has
                brought to the development of the public sector.
            """),
            _p("""
                In the panel, Mr. Wanlop Nakbua, Deputy Permanent Secretary of Justice;
                Dr. Amporn Benjaponpitak, Director-General of the Department of Mental Health;
                Ms. Benjaporn Chakranon, Director-General of the Land Development Department;
                Mr. Pinsai Surasawadee, Adviser on Tax Collection Strategy, Revenue Department;
                and Mrs. Saowanit Pongprapai, Adviser on Planning and International Affairs,
                Highland Research and Development Institute, exchanged their secrets of
                developing their organisations towards Bureaucracy 4.0, which earned them
                outstanding scores in the assessment of Bureaucracy 4.0 status and the PMQA 4.0
                award in 2021 (B.E. 2564). Asst. Prof. Dr. Rachada Chaijit, Associate Dean for
                Strategy, Faculty of Dentistry, Khon Kaen University, moderated the panel. The
                discussion can be summarised as follows.
            """),
        )
    ),
    sections=(
        SectionSeed(
            agency="office-of-the-permanent-secretary-ministry-of-justice",
            body=_p("""
                The Office of the Permanent Secretary, Ministry of Justice, carries out missions
                that concern the people directly, such as vulnerable groups and reducing
                inequality among citizens. It therefore holds fairness as a key factor and gives
                importance to communicating with the people, following the principle of
                Happiness Justice: proactive justice that brings happiness to the people. This
                drive has led to outstanding work such as the Justice Care policy, which helps
                victims of crime in an integrated way, through a mechanism in which all sectors
                cooperate down to the community level, so that the people have someone to turn
                to and can have confidence. Its secret of developing into a 4.0 organisation:
                leaders must take a large part in setting the action plan and in promoting the
                development of the organisation, never standing still, so that it becomes ever
                more effective, and must be role models for staff; and a mindset is built that
                everyone must do better than before, achieve more with less, and see the whole
                picture clearly, leading to clear goals and indicators.
            """),
        ),
        SectionSeed(
            agency="department-of-mental-health",
            body=_p("""
                The Department of Mental Health has developed the organisation continuously under
                the principle "Mental health is everywhere", trying to reduce inequality in access
                to care and treatment: for example, the 1323 mental-health hotline, which people
                can call for advice on mental-health problems at any time, and an innovation, the
                Mental health check in application, for assessing people's mental state. All this
                gives people many channels of access and also keeps the data up to date, so that
                it can be used to set policy and to plan mental-health work.
            """),
        ),
        SectionSeed(
            agency="land-development-department",
            body=_p("""
                The Land Development Department adapted by adopting PMQA 4.0: it links important
                data between the agencies of the Ministry of Agriculture and Cooperatives and
                integrates their work with citizens at the centre. It moved from paper to digital
                systems and works paperless, which makes collecting data easier, and people can
                reach the department conveniently, as it has developed e-service and Smart service
                for its services and its work. This saves resources and time and makes citizens
                more satisfied. Its secret of developing into a 4.0 organisation: everyone in the
                organisation must share the same vision and values, to narrow the gaps between
                levels and move forward together; and it uses the principle of "seniors teach
                juniors" (พี่สอนน้อง), or coaching, so that knowledge is passed on faster.
            """),
        ),
        SectionSeed(
            agency="revenue-department",
            body=_p("""
                The Revenue Department solves problems with citizens at the centre, by finding
                their pain points. What drives its development is a changing environment: new
                technology, changing ways of doing business and the exchange of information
                between countries. These have made the Revenue Department adapt and bring out many
                new products and systems, such as Hackatax, Tax sandbox and AI "Nong Aree"
                (AI น้องอารี). Its secret of success in becoming a 4.0 organisation is using a
                Model of innovation as the framework, focusing on developing people and
                technology: for example, executives must share one vision; strategic and action
                plans must be clear; the organisation and its resources are assessed with OKR
                indicators; data is used to the full; and there is participation both inside and
                outside the organisation, to keep developing the department.
            """),
        ),
        SectionSeed(
            agency="hrdi",
            body=_p("""
                The Highland Research and Development Institute applied PMQA 4.0 to develop the
                organisation by keeping citizens at the centre of its work and treating everyone
                equally, in line with the United Nations principle "No one left behind". It
                focuses its help on low-income villagers, helping to solve poverty so that
                households earn more, and it keeps this in a digital database, which has become
                an important part of decisions on drawing up community development plans. Its
                secret of developing into a 4.0 organisation: using knowledge to solve problems,
                adjusting ways of thinking and finding tools that make the work better, and using
                PMQA 4.0 as the organisation's way of working.
            """),
        ),
    ),
    conclusion=_p("""
        Finally, the most important thing that all the agencies agreed on about developing into
        a 4.0 organisation is changing the mindset of staff: developing the organisation is
        something that must be done, because the environment keeps moving forward. Changing the
        organisation therefore has to happen anyway, so that the organisation can survive and
        keep moving forward.
    """),
    source_name="Office of the Public Sector Development Commission (OPDC)",
    source_url="https://www.opdc.go.th",
    published_at=NOTE_PUBLISHED_AT,
)

_JUSTICE = ("office-of-the-permanent-secretary-ministry-of-justice",)
_DMH = ("department-of-mental-health",)
_LDD = ("land-development-department",)
_RD = ("revenue-department",)
_HRDI = ("hrdi",)
_RD_NEW_PRODUCT = "หนึ่งในผลิตภัณฑ์หรือระบบใหม่ที่กรมสรรพากรมีออกมาเพื่อปรับตัวต่อสภาพแวดล้อมที่เปลี่ยนแปลงไป"

# In the seed's order: OPDC's talk, then each panel agency, then the shared conclusion.
_WEBINAR_TAKEAWAYS: tuple[TakeawaySeed, ...] = (
    TakeawaySeed(
        kind=TakeawayKind.PRACTICE,
        statement_th="การนำ PMQA 4.0 ไปใช้ในการพัฒนาระบบราชการ ทำให้เกิดการเปลี่ยนแปลงระบบราชการ",
        statement_en="Applying PMQA 4.0 to develop the public sector brings change to it.",
        agencies=("opdc",),
        topics=("pmqa-4-0", "bureaucracy-4-0"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.PRACTICE,
        statement_th=(
            "ยึดความเป็นธรรมเป็นปัจจัยสำคัญ ให้ความสำคัญในการสื่อสารกับประชาชน"
            " ตามหลัก Happiness Justice ยุติธรรมเชิงรุก สร้างสุขให้ประชาชน"
        ),
        statement_en=(
            "Hold fairness as the key factor and communicate with the people, following Happiness"
            " Justice: proactive justice that brings people happiness."
        ),
        agencies=_JUSTICE,
        topics=("citizen-centred-services",),
    ),
    TakeawaySeed(
        kind=TakeawayKind.INITIATIVE,
        statement_th=(
            "นโยบาย Justice care ช่วยเหลือผู้เสียหายหรือเหยื่ออาชญากรรมแบบบูรณาการ"
            " ด้วยกลไกร่วมมือทุกภาคส่วนลงไปถึงระดับชุมชน"
            " เพื่อให้เป็นที่พึ่งของประชาชนและสร้างความเชื่อมั่นให้กับประชาชน"
        ),
        statement_en=(
            "The Justice Care policy helps victims of crime in an integrated way, with all"
            " sectors cooperating down to the community level, so that people have someone to"
            " turn to and can have confidence."
        ),
        agencies=_JUSTICE,
        topics=("citizen-centred-services",),
    ),
    TakeawaySeed(
        kind=TakeawayKind.SUCCESS_FACTOR,
        statement_th=(
            "ผู้นำต้องมีส่วนอย่างมากในการกำหนด Action plan ส่งเสริมการพัฒนาองค์การ"
            " ไม่หยุดอยู่กับที่ และเป็น Role model ให้กับบุคลากร"
        ),
        statement_en=(
            "Leaders take a large part in setting the action plan, promote the organisation's"
            " development without standing still, and are role models for staff."
        ),
        agencies=_JUSTICE,
        topics=("leadership", "bureaucracy-4-0"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.SUCCESS_FACTOR,
        statement_th=(
            "สร้าง mindset ว่าทุกคนจะต้องทำให้ได้ดีกว่าเดิม ทำน้อยได้มาก มองเห็นภาพรวมให้ชัด"
            " เพื่อนำไปสู่การกำหนดเป้าหมายและตัวชี้วัดที่ชัดเจน"
        ),
        statement_en=(
            "Build the mindset that everyone must do better than before, achieve more with less"
            " and see the whole picture clearly, leading to clear goals and indicators."
        ),
        agencies=_JUSTICE,
        topics=("mindset-change", "bureaucracy-4-0"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.PRACTICE,
        statement_th=(
            "ยึดหลัก Mental health is everywhere พยายามลดความเหลื่อมล้ำในการเข้ารับการดูแลและรักษา"
        ),
        statement_en=(
            'Work by the principle "Mental health is everywhere", reducing inequality in access'
            " to care and treatment."
        ),
        agencies=_DMH,
        topics=("citizen-centred-services",),
    ),
    TakeawaySeed(
        kind=TakeawayKind.INITIATIVE,
        statement_th="สายด่วนปรึกษาปัญหาสุขภาพจิต 1323 ให้ประชาชนโทรไปปรึกษาปัญหาสุขภาพจิตได้ตลอดเวลา",
        statement_en=(
            "The 1323 mental-health hotline, which people can call for advice on mental-health"
            " problems at any time."
        ),
        agencies=_DMH,
        topics=("citizen-centred-services",),
    ),
    TakeawaySeed(
        kind=TakeawayKind.INITIATIVE,
        statement_th=(
            "แอปพลิเคชัน Mental health check in สำหรับประเมินสภาวะทางจิตของประชาชน"
            " เข้าถึงได้หลากหลายช่องทาง และเก็บข้อมูลให้เป็นปัจจุบัน"
            " เพื่อนำใช้กำหนดนโยบายและวางแผนการดำเนินงานด้านสุขภาพจิต"
        ),
        statement_en=(
            "The Mental health check in application for assessing people's mental state: many"
            " channels of access, and up-to-date data for setting policy and planning"
            " mental-health work."
        ),
        agencies=_DMH,
        topics=("innovation", "digital-government", "data-driven-decisions"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.PRACTICE,
        statement_th=(
            "นำ PMQA 4.0 มาใช้ เชื่อมโยงข้อมูลที่สำคัญระหว่างหน่วยงานของกระทรวงเกษตรและสหกรณ์"
            " บูรณาการการทำงานร่วมกันโดยยึดประชาชนเป็นศูนย์กลาง"
        ),
        statement_en=(
            "Adopt PMQA 4.0, link important data between the agencies of the Ministry of"
            " Agriculture and Cooperatives, and integrate their work with citizens at the centre."
        ),
        agencies=_LDD,
        topics=("pmqa-4-0", "citizen-centred-services", "data-driven-decisions"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.INITIATIVE,
        statement_th=(
            "เปลี่ยนจากกระดาษเป็นระบบดิจิทัล ทำงานด้วยหลัก Paperless และพัฒนา e-service และ"
            " Smart service มาใช้ในการให้บริการและการทำงาน ประหยัดทรัพยากรและเวลา"
            " และสร้างความพึงพอใจให้กับประชาชน"
        ),
        statement_en=(
            "From paper to digital: paperless work, with e-service and Smart service for services"
            " and work, saving resources and time and making citizens more satisfied."
        ),
        agencies=_LDD,
        topics=("digital-government", "citizen-centred-services"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.SUCCESS_FACTOR,
        statement_th=(
            "ทุกคนในองค์การต้องมีวิสัยทัศน์ ค่านิยมเดียวกัน เพื่อลดช่องว่างระหว่างระดับ และเดินไปข้างหน้าได้พร้อมกัน"
        ),
        statement_en=(
            "Everyone in the organisation shares the same vision and values, to narrow the gaps"
            " between levels and move forward together."
        ),
        agencies=_LDD,
        topics=("bureaucracy-4-0",),
    ),
    TakeawaySeed(
        kind=TakeawayKind.SUCCESS_FACTOR,
        statement_th="นำหลักการพี่สอนน้องหรือ coaching มาใช้ในองค์การ เพื่อให้เกิดการถ่ายทอดความรู้ที่เร็วขึ้น",
        statement_en=(
            'Use "seniors teach juniors" (พี่สอนน้อง), or coaching, so that knowledge is passed on'
            " faster."
        ),
        agencies=_LDD,
        topics=("bureaucracy-4-0",),
    ),
    TakeawaySeed(
        kind=TakeawayKind.PRACTICE,
        statement_th=(
            "แก้ปัญหาโดยยึดประชาชนเป็นศูนย์กลาง ด้วยการหา Pain point"
            " และปรับตัวตามสภาพแวดล้อมที่เปลี่ยนแปลงไป เช่น การเข้ามาของเทคโนโลยี"
            " รูปแบบการทำธุรกิจที่เปลี่ยนไป และการแลกเปลี่ยนข้อมูลระหว่างประเทศ"
        ),
        statement_en=(
            "Solve problems with citizens at the centre by finding their pain points, and adapt"
            " to a changing environment: new technology, new ways of doing business and the"
            " exchange of information between countries."
        ),
        agencies=_RD,
        topics=("citizen-centred-services",),
    ),
    TakeawaySeed(
        kind=TakeawayKind.INITIATIVE,
        statement_th=f"Hackatax {_RD_NEW_PRODUCT}",
        statement_en="Hackatax, one of the new products or systems the department brought out.",
        agencies=_RD,
        topics=("innovation",),
    ),
    TakeawaySeed(
        kind=TakeawayKind.INITIATIVE,
        statement_th=f"Tax sandbox {_RD_NEW_PRODUCT}",
        statement_en="Tax sandbox, one of the new products or systems the department brought out.",
        agencies=_RD,
        topics=("innovation",),
    ),
    TakeawaySeed(
        kind=TakeawayKind.INITIATIVE,
        statement_th=f"AI น้องอารี {_RD_NEW_PRODUCT}",
        statement_en=(
            'AI "Nong Aree" (AI น้องอารี), one of the new products or systems the department'
            " brought out."
        ),
        agencies=_RD,
        topics=("innovation", "digital-government"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.SUCCESS_FACTOR,
        statement_th="ใช้ Model of innovation เป็นกรอบ โดยเน้นการพัฒนาเรื่องคนและเทคโนโลยี",
        statement_en=(
            "Use a Model of innovation as the framework, focusing on developing people and"
            " technology."
        ),
        agencies=_RD,
        topics=("innovation", "bureaucracy-4-0"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.SUCCESS_FACTOR,
        statement_th=(
            "ผู้บริหารต้องมีวิสัยทัศน์ไปในทางเดียวกัน แผนยุทธศาสตร์และแผนปฏิบัติการต้องชัดเจน"
            " ประเมินผลองค์กรและทรัพยากรโดยใช้ตัวชี้วัด OKR ใช้ข้อมูลให้เกิดประโยชน์สูงสุด"
            " และมีส่วนร่วมกับทั้งภายในและภายนอกองค์การ"
        ),
        statement_en=(
            "Executives share one vision; strategic and action plans are clear; the organisation"
            " and its resources are assessed with OKR; data is used to the full; and people"
            " inside and outside the organisation take part."
        ),
        agencies=_RD,
        topics=("leadership", "data-driven-decisions", "bureaucracy-4-0"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.PRACTICE,
        statement_th=(
            "นำ PMQA 4.0 มาใช้โดยยึดหลักประชาชนเป็นศูนย์กลาง ปฏิบัติกับทุกคนเท่าเทียมกัน"
            " ตามหลัก No one left behind เน้นช่วยเหลือชาวบ้านที่มีรายได้น้อย"
            " ช่วยแก้ปัญหาความยากจน ทำให้ประชาชนมีรายได้ต่อครัวเรือนมากขึ้น"
        ),
        statement_en=(
            'Apply PMQA 4.0 with citizens at the centre, treating everyone equally under "No one'
            ' left behind": help focused on low-income villagers, against poverty, so that'
            " households earn more."
        ),
        agencies=_HRDI,
        topics=("pmqa-4-0", "citizen-centred-services"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.INITIATIVE,
        statement_th="จัดเก็บเป็นฐานข้อมูลดิจิทัล ซึ่งกลายเป็นส่วนสำคัญในการตัดสินใจเกี่ยวกับการจัดทำแผนพัฒนาชุมชน",
        statement_en=(
            "A digital database of households' data, now an important part of decisions on"
            " drawing up community development plans."
        ),
        agencies=_HRDI,
        topics=("data-driven-decisions", "digital-government"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.SUCCESS_FACTOR,
        statement_th="ใช้ความรู้ในการแก้ปัญหา ปรับความคิด และหาเครื่องมือมาใช้ในการทำงานให้ดีขึ้น",
        statement_en=(
            "Use knowledge to solve problems, adjust ways of thinking, and find tools that make"
            " the work better."
        ),
        agencies=_HRDI,
        topics=("mindset-change", "bureaucracy-4-0"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.SUCCESS_FACTOR,
        statement_th="ใช้หลัก PMQA 4.0 เป็นวิธีปฏิบัติขององค์การ",
        statement_en="Make PMQA 4.0 the organisation's way of working.",
        agencies=_HRDI,
        topics=("pmqa-4-0", "bureaucracy-4-0"),
    ),
    TakeawaySeed(
        kind=TakeawayKind.CONCLUSION,
        statement_th=(
            "การปรับกรอบความคิด (Mindset) ของบุคลากรว่า การพัฒนาองค์การนั้นเป็นสิ่งที่จำเป็นต้องทำ"
            " เนื่องจากสภาพแวดล้อมต่าง ๆ ได้มีการพัฒนาไปข้างหน้า"
            " ดังนั้นการปรับเปลี่ยนองค์การจึงเป็นสิ่งที่ต้องเกิดขึ้นอยู่แล้ว"
            " เพื่อให้องค์การยังอยู่ได้ และสามารถขับเคลื่อนไปข้างหน้าได้ต่อไป"
        ),
        statement_en=(
            "Change the mindset of staff: developing the organisation must be done, because the"
            " environment keeps moving forward, so the organisation has to change to survive and"
            " keep moving forward."
        ),
        agencies=PANEL_AGENCIES,
        topics=("mindset-change", "bureaucracy-4-0"),
    ),
)

WEBINAR = SessionSeed(
    slug="unlocking-success-organisation-4-0-2021",
    title_th=WEBINAR_TITLE_TH,
    title_en=WEBINAR_TITLE_EN,
    description_th="\n\n".join(
        (
            _p("""
                สำนักงาน ก.พ.ร. จัดกิจกรรมแลกเปลี่ยนเรียนรู้ของ 5
                หน่วยงานโดดเด่นกับการพัฒนาองค์การสู่การเป็นระบบราชการ 4.0 ผ่านสื่ออิเล็กทรอนิกส์
            """),
            "ช่วงแรก: PMQA 4.0 กับการเปลี่ยนแปลงระบบราชการ โดยรองเลขาธิการ ก.พ.ร.",
            _p("""
                ช่วงเสวนา: ผู้บริหารจากสำนักงานปลัดกระทรวงยุติธรรม กรมสุขภาพจิต กรมพัฒนาที่ดิน
                กรมสรรพากร และสถาบันวิจัยและพัฒนาพื้นที่สูง
                แลกเปลี่ยนเคล็ดลับในการพัฒนาองค์การสู่การเป็นระบบราชการ 4.0
            """),
            _p("""
                *เวลา 09.00–12.00 น. เป็นเวลาที่กำหนดขึ้นสำหรับข้อมูลสาธิต
                เนื่องจากแหล่งข่าวไม่ได้ระบุเวลาของกิจกรรม*
            """),
        )
    ),
    description_en="\n\n".join(
        (
            _p("""
                The OPDC's online knowledge-sharing activity with 5 agencies outstanding in
                developing their organisations towards Thailand's Bureaucracy 4.0.
            """),
            _p("""
                First, "PMQA 4.0 and the transformation of the public sector", a talk by a Deputy
                Secretary-General of the OPDC. Then a panel: executives of the Office of the
                Permanent Secretary, Ministry of Justice; the Department of Mental Health; the
                Land Development Department; the Revenue Department; and the Highland Research and
                Development Institute share their secrets of developing their organisations.
            """),
            _p("""
                *The time, 09:00–12:00, is assumed for this demo: the source does not give the
                time of day.*
            """),
        )
    ),
    organiser="opdc",
    format=SessionFormat.ONLINE,
    platform="สื่ออิเล็กทรอนิกส์ (ออนไลน์)",
    starts=time(9, 0),  # assumed: the seed gives the date only
    ends=time(12, 0),
    topics=tuple(topic.slug for topic in TOPICS),  # every theme is in the seed
    agenda=(
        AgendaSeed(
            title_th="PMQA 4.0 กับการเปลี่ยนแปลงระบบราชการ",
            title_en="PMQA 4.0 and the transformation of the public sector",
            description_th="แนวคิด และการเปลี่ยนแปลงจากการนำ PMQA 4.0 ไปใช้ในการพัฒนาระบบราชการ",
            description_en=(
                "The concepts, and the changes that applying PMQA 4.0 brings to the development"
                " of the public sector."
            ),
            starts=time(9, 0),  # assumed, as is the split at 09:45
            ends=time(9, 45),
        ),
        AgendaSeed(
            title_th=f"เสวนา {WEBINAR_TITLE_TH}",
            title_en=f"Panel: {WEBINAR_TITLE_EN}",
            description_th="ผู้บริหาร 5 หน่วยงานแลกเปลี่ยนเคล็ดลับในการพัฒนาองค์การสู่การเป็นระบบราชการ 4.0",
            description_en=(
                "Executives of 5 agencies exchange their secrets of developing their organisations"
                " towards Bureaucracy 4.0."
            ),
            starts=time(9, 45),
            ends=time(12, 0),
        ),
    ),
    appearances=(
        AppearanceSeed(
            person="areepan-charoensuk",
            role=Role.SPEAKER,
            position_title_th="รองเลขาธิการ ก.พ.ร.",
            position_title_en="Deputy Secretary-General, OPDC",
            agency="opdc",
            agenda=0,
        ),
        AppearanceSeed(
            person="wanlop-nakbua",
            role=Role.PANELLIST,
            position_title_th="รองปลัดกระทรวงยุติธรรม",
            position_title_en="Deputy Permanent Secretary of Justice",
            agency="office-of-the-permanent-secretary-ministry-of-justice",
            agenda=1,
        ),
        AppearanceSeed(
            person="amporn-benjaponpitak",
            role=Role.PANELLIST,
            position_title_th="อธิบดีกรมสุขภาพจิต",
            position_title_en="Director-General, Department of Mental Health",
            agency="department-of-mental-health",
            agenda=1,
        ),
        AppearanceSeed(
            person="benjaporn-chakranon",
            role=Role.PANELLIST,
            position_title_th="อธิบดีกรมพัฒนาที่ดิน",
            position_title_en="Director-General, Land Development Department",
            agency="land-development-department",
            agenda=1,
        ),
        AppearanceSeed(
            person="pinsai-surasawadee",
            role=Role.PANELLIST,
            position_title_th="ที่ปรึกษาด้านยุทธศาสตร์การจัดเก็บภาษี",
            position_title_en="Adviser on Tax Collection Strategy",
            agency="revenue-department",
            agenda=1,
        ),
        AppearanceSeed(
            person="saowanit-pongprapai",
            role=Role.PANELLIST,
            position_title_th="ที่ปรึกษาด้านแผนงานและต่างประเทศ",
            position_title_en="Adviser on Planning and International Affairs",
            agency="hrdi",
            agenda=1,
        ),
        AppearanceSeed(
            person="rachada-chaijit",
            role=Role.MODERATOR,
            position_title_th="รองคณบดีฝ่ายยุทธศาสตร์",
            position_title_en="Associate Dean for Strategy",
            agency="faculty-of-dentistry-khon-kaen-university",
            agenda=1,
        ),
    ),
    notes=(_WEBINAR_NOTE_TH, _WEBINAR_NOTE_EN),
    takeaways=_WEBINAR_TAKEAWAYS,
)


# --- the upcoming session (invented for the demo; no people) --------------------------------

UPCOMING_DAYS_AHEAD = 21

UPCOMING = SessionSeed(
    slug="mindset-for-organisation-4-0-follow-up",
    title_th="แลกเปลี่ยนเรียนรู้ต่อยอด: ปรับกรอบความคิดสู่องค์การ 4.0",
    title_en="Follow-up exchange: changing mindsets for a 4.0 organisation",
    description_th="\n\n".join(
        (
            _p("""
                ต่อยอดจากกิจกรรมแลกเปลี่ยนเรียนรู้ "ไขกุญแจความสำเร็จ... เรื่อง (ไม่)
                ลับสู่การเป็นองค์การ 4.0" เมื่อวันที่ 13 ธันวาคม 2564 ซึ่งทั้ง 5
                หน่วยงานเห็นตรงกันว่าสิ่งที่สำคัญที่สุดคือการปรับกรอบความคิด (Mindset) ของบุคลากร
                มาแลกเปลี่ยนกันว่าแต่ละหน่วยงานนำไปปฏิบัติอย่างไร
            """),
            "*กิจกรรมสาธิตสำหรับทดลองใช้ระบบ*",
        )
    ),
    description_en="\n\n".join(
        (
            _p("""
                A follow-up to the exchange "Unlocking the Key to Success... The (Not) Secret
                Story of Becoming a 4.0 Organisation" of 13 December 2021, where all 5 agencies
                agreed that the most important thing is changing the mindset of staff. Come and
                share how your agency puts it into practice.
            """),
            "*A demo session for trying out the platform.*",
        )
    ),
    organiser="opdc",
    format=SessionFormat.ONLINE,
    platform="Zoom",
    join_url="https://meet.example.org/learning-exchange/mindset-4-0-follow-up",
    capacity=100,
    starts=time(9, 0),
    ends=time(11, 0),
    topics=("mindset-change", "pmqa-4-0"),
    agenda=(
        AgendaSeed(
            title_th="เปิดกิจกรรมและทบทวนบทเรียนจากเดือนธันวาคม 2564",
            title_en="Opening, and a look back at December 2021",
            starts=time(9, 0),
            ends=time(9, 15),
        ),
        AgendaSeed(
            title_th="แลกเปลี่ยนเรียนรู้: ปรับกรอบความคิดของบุคลากร",
            title_en="Exchange: changing the mindset of staff",
            starts=time(9, 15),
            ends=time(10, 30),
        ),
        AgendaSeed(
            title_th="ถาม-ตอบ",
            title_en="Questions and answers",
            starts=time(10, 30),
            ends=time(11, 0),
        ),
    ),
)


# --- loading ---------------------------------------------------------------------------------


def load_demo(now: datetime) -> int:
    """Create whatever of the demo data is missing and return how many rows were created.

    Counts model rows (agencies, people, topics, sessions, agenda items, appearances, notes,
    note sections, takeaways), not the rows of the link tables. Flushes, never commits: the
    caller owns the transaction. The upcoming session starts `UPCOMING_DAYS_AHEAD` days after
    *now*'s date in Bangkok and takes registrations from *now* until it starts.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    loader = _Loader()
    for agency in AGENCIES:
        loader.agency(agency)
    for person in PEOPLE:
        loader.person(person)
    for topic in TOPICS:
        loader.topic(topic)
    loader.learning_session(WEBINAR, WEBINAR_DAY)
    upcoming_day = now.astimezone(ZoneInfo(TIMEZONE)).date() + timedelta(days=UPCOMING_DAYS_AHEAD)
    loader.learning_session(UPCOMING, upcoming_day, registration_opens_at=now)
    db.session.flush()
    return loader.created


def _at(day: date, clock: time) -> datetime:
    """*day* at *clock* in Bangkok, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(TIMEZONE)).astimezone(UTC)


class _Loader:
    """Get-or-create by slug, remembering what it found and counting what it created."""

    def __init__(self) -> None:
        self.created = 0
        self.agencies: dict[str, Agency] = {}
        self.people: dict[str, Person] = {}
        self.topics: dict[str, Topic] = {}

    def _new(self, obj: object) -> None:
        db.session.add(obj)
        self.created += 1

    def agency(self, seed: AgencySeed) -> None:
        """Find the agency by slug, or create it under its (already loaded) parent."""
        agency = db.session.scalar(select(Agency).filter_by(slug=seed.slug))
        if agency is None:
            agency = Agency(
                slug=seed.slug,
                name_th=seed.name_th,
                name_en=seed.name_en,
                abbr_th=seed.abbr_th,
                abbr_en=seed.abbr_en,
                kind=seed.kind,
                parent=self.agencies[seed.parent] if seed.parent else None,
                website=seed.website,
            )
            self._new(agency)
        self.agencies[seed.slug] = agency

    def person(self, seed: PersonSeed) -> None:
        """Find the person by slug, or create them."""
        person = db.session.scalar(select(Person).filter_by(slug=seed.slug))
        if person is None:
            person = Person(
                slug=seed.slug,
                prefix_th=seed.prefix_th,
                name_th=seed.name_th,
                prefix_en=seed.prefix_en,
                name_en=seed.name_en,
            )
            self._new(person)
        self.people[seed.slug] = person

    def topic(self, seed: TopicSeed) -> None:
        """Find the topic by slug, or create it."""
        topic = db.session.scalar(select(Topic).filter_by(slug=seed.slug))
        if topic is None:
            topic = Topic(
                slug=seed.slug,
                name_th=seed.name_th,
                name_en=seed.name_en,
                description_th=seed.description_th,
                description_en=seed.description_en,
            )
            self._new(topic)
        self.topics[seed.slug] = topic

    def learning_session(
        self, seed: SessionSeed, day: date, *, registration_opens_at: datetime | None = None
    ) -> None:
        """Create the session with all its parts on *day*, unless its slug is already taken."""
        if db.session.scalar(select(LearningSession.id).filter_by(slug=seed.slug)) is not None:
            return
        starts_at = _at(day, seed.starts)
        learning_session = LearningSession(
            slug=seed.slug,
            title_th=seed.title_th,
            title_en=seed.title_en,
            description_th=seed.description_th,
            description_en=seed.description_en,
            organiser=self.agencies[seed.organiser],
            format=seed.format,
            platform=seed.platform,
            join_url=seed.join_url,
            starts_at=starts_at,
            ends_at=_at(day, seed.ends),
            timezone=TIMEZONE,
            capacity=seed.capacity,
            registration_opens_at=registration_opens_at,
            registration_closes_at=starts_at if registration_opens_at else None,
            status=SessionStatus.PUBLISHED,
            ical_sequence=0,
            topics=[self.topics[slug] for slug in seed.topics],
            reminders=default_reminders(),  # not counted in `created`: settings, not content
        )
        self._new(learning_session)

        agenda_items = [
            AgendaItem(
                position=position,
                title_th=item.title_th,
                title_en=item.title_en,
                description_th=item.description_th,
                description_en=item.description_en,
                starts_at=_at(day, item.starts),
                ends_at=_at(day, item.ends),
            )
            for position, item in enumerate(seed.agenda)
        ]
        learning_session.agenda_items = agenda_items
        learning_session.appearances = [
            Appearance(
                person=self.people[appearance.person],
                role=appearance.role,
                position_title_th=appearance.position_title_th,
                position_title_en=appearance.position_title_en,
                agency=self.agencies[appearance.agency],
                agenda_item=agenda_items[appearance.agenda],
                sort_order=sort_order,
            )
            for sort_order, appearance in enumerate(seed.appearances)
        ]
        learning_session.notes = [self._note(note) for note in seed.notes]
        learning_session.takeaways = [
            Takeaway(
                kind=takeaway.kind,
                statement_th=takeaway.statement_th,
                statement_en=takeaway.statement_en,
                position=position,
                status=ContentStatus.PUBLISHED,
                agencies=[self.agencies[slug] for slug in takeaway.agencies],
                topics=[self.topics[slug] for slug in takeaway.topics],
            )
            for position, takeaway in enumerate(seed.takeaways)
        ]
        self.created += len(agenda_items) + len(learning_session.appearances)
        self.created += len(learning_session.takeaways)

    def _note(self, seed: NoteSeed) -> Note:
        """A published note, its sections headed by the agency's name in the note's language."""
        sections = []
        for position, section in enumerate(seed.sections):
            agency = self.agencies[section.agency]
            heading = agency.name_en if seed.language == "en" else agency.name_th
            sections.append(
                NoteSection(agency=agency, position=position, heading=heading, body=section.body)
            )
        self.created += 1 + len(sections)
        return Note(
            language=seed.language,
            title=seed.title,
            body=seed.body,
            conclusion=seed.conclusion,
            source_name=seed.source_name,
            source_url=seed.source_url,
            status=ContentStatus.PUBLISHED,
            published_at=seed.published_at,
            sections=sections,
        )
