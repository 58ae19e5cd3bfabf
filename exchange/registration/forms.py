"""The registration form for people without an account."""

from __future__ import annotations

from flask_wtf import FlaskForm

from exchange.forms import agency_field, email_field, name_field


class GuestRegistrationForm(FlaskForm):
    display_name = name_field()
    email = email_field()
    agency = agency_field()
