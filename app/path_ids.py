"""``{name:id}`` in a route's path: a whole number, signed, so that ``/api/contacts/export`` is
not read as contact "export" (a PATCH there is a 405, not a 422), while ``/api/contacts/-5`` or
one past 2^63 still reaches its handler and gets the 422 the ``Id`` type gives."""

from starlette.convertors import Convertor, register_url_convertor


class IdConvertor(Convertor[int]):
    regex = "-?[0-9]+"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())
