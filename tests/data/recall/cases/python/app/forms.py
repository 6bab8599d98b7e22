"""Sign-up form handling (no CRM here)."""

xmlData = "<signup><name>{}</name></signup>"
newFormat = True
