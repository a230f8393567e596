"""kiosk: the Textual app for citizens (desk), gate officers (gate) and enrolment."""
