"""What the people of Villebois write to their town hall, and what its agents answer: one
template per situation (see `guichet.demo.requests.RequestTemplate`), one module per department."""

from __future__ import annotations

from guichet.demo.requests import RequestTemplate
from guichet.demo.town.civil_status import CIVIL_STATUS
from guichet.demo.town.education import EDUCATION
from guichet.demo.town.reception import RECEPTION
from guichet.demo.town.roads import ROADS
from guichet.demo.town.social import SOCIAL
from guichet.demo.town.urbanism import PLANNING
from guichet.demo.town.waste import WASTE

VILLEBOIS_REQUESTS: tuple[RequestTemplate, ...] = (
    *CIVIL_STATUS,
    *PLANNING,
    *ROADS,
    *WASTE,
    *EDUCATION,
    *SOCIAL,
    *RECEPTION,
)
