"""Personal identifiers are masked wherever they leave the database by default."""


def mask_id(value: str, keep: int = 3) -> str:
    """``"001085012345"`` → ``"*********345"``: only the last ``keep`` characters show."""
    if not value:
        return ""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]
