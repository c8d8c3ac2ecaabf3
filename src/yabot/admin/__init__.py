"""The admin web panel under /admin: server-rendered pages for operators, over the services.

A sibling of `yabot.api`: neither imports the other, and neither touches a store directly.
"""
