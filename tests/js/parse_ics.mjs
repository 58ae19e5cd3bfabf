#!/usr/bin/env node
// Parse an iCalendar file with Mozilla's ical.js (the parser Thunderbird uses) and print what
// the tests compare, as JSON:
//
//   node tests/js/parse_ics.mjs FILE.ics
//   {"method": "PUBLISH", "name": "...", "tzids": ["Asia/Bangkok"],
//    "events": [{"uid", "sequence", "status", "start", "end", "startZone", "summary",
//                "description", "location", "url", "organizer", "attendees", "alarms"}]}
//
// start/end are UTC Unix times, read after registering the file's own VTIMEZONEs (as a client
// does): a TZID without its VTIMEZONE is *floating* to ical.js and the test then fails.
import fs from "node:fs";
import ICAL from "ical.js";

const path = process.argv[2];
if (!path) {
  console.error("usage: parse_ics.mjs FILE.ics");
  process.exit(2);
}
const text = fs.readFileSync(path, "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));

const tzids = [];
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  const timezone = new ICAL.Timezone(vtimezone);
  ICAL.TimezoneService.register(timezone);
  tzids.push(timezone.tzid);
}

const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  const zone = event.startDate.zone;
  return {
    uid: event.uid,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    start: event.startDate.toUnixTime(),
    end: event.endDate.toUnixTime(),
    startZone: zone ? zone.tzid : null,
    summary: event.summary,
    description: event.description,
    location: event.location,
    url: vevent.getFirstPropertyValue("url"),
    organizer: event.organizer,
    attendees: event.attendees.map((attendee) => ({
      value: attendee.getFirstValue(),
      partstat: attendee.getParameter("partstat"),
      rsvp: attendee.getParameter("rsvp"),
      role: attendee.getParameter("role"),
      cn: attendee.getParameter("cn"),
    })),
    alarms: vevent.getAllSubcomponents("valarm").map((alarm) =>
      String(alarm.getFirstPropertyValue("trigger")),
    ),
  };
});

process.stdout.write(
  JSON.stringify({
    method: calendar.getFirstPropertyValue("method"),
    name: calendar.getFirstPropertyValue("x-wr-calname"),
    tzids,
    events,
  }),
);
