"""Server logs name people by record number, never by user name: volunteers sign in with
their email address, and logs are copied and kept by machines nobody here looks after.
The admin's audit trail tells a coordinator who each number is."""


def person(who, *, nobody="nobody"):
    """`user 152`, `volunteer 160`: any saved model instance by its record number."""
    if who is None:
        return nobody
    return f"{who._meta.model_name} {who.pk}"
