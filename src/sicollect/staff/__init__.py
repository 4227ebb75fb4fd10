"""Staff, roles and scope: who a staff user is (office and role) and what they may see and do.

Every door (the pages, the API, the job page) asks :mod:`sicollect.staff.policy`.
"""
