# Arabic dates with a time: Django's Arabic formats have none, and the English fallback
# puts the month first (11/23/2026), which an Arabic reader takes for the 11th of the
# 23rd month. Day first, as Django's own Arabic short date, with the same right-to-left
# marks; the rest of the Arabic formats are Django's.
DATETIME_FORMAT = "j F، Y g:i A"
SHORT_DATETIME_FORMAT = "d\u200f/m\u200f/Y g:i A"
