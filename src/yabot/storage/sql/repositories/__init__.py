"""The relational store's repositories, one module per bounded context (SQLAlchemy Core).

Each class implements the port (a `typing.Protocol`) its service declares in
`services/<context>/ports.py`; `services/container.py` wires them in.
"""
