"""Server logs name people by record number, never by user name: volunteers sign in with
their email address, and logs are copied and kept by machines nobody here looks after.
The admin's audit trail tells a coordinator who each number is."""


def person(who, *, nobody="nobody"):
    """`user 152`: a user, or a volunteer by their login, so that one person has one
    number in every line; `volunteer 160` only for a volunteer without a login yet."""
    if who is None:
        return nobody
    user_id = getattr(who, "user_id", None)
    if user_id is not None:
        return f"user {user_id}"
    return f"{who._meta.model_name} {who.pk}"
