"""JSON API of the user's own notices (mounted at /api/v1/notify): list (unread first filter) and mark read."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Query, Router, Schema

from jiceng.party.api import PageQuery, page_of

from . import selectors as sel
from . import services as svc

router = Router(tags=["notify"])


class NoticeOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class NoticePage(Schema):
    count: int
    page: int
    size: int
    pages: int
    unread: int
    items: list[NoticeOut]


class NoticeQuery(PageQuery):
    unread: bool = False


class ReadIn(Schema):
    ids: list[int] | None = Field(None, description="Notices to mark read; omitted: all unread ones")


class ReadOut(Schema):
    marked: int
    unread: int


def _out(n) -> dict:
    return {"id": n.pk, "kind": n.kind, "title": n.title, "body": n.body, "url": n.url,
            "created_at": n.created_at, "read_at": n.read_at}


@router.get("/notices", response=NoticePage, summary="The user's own notices, newest first")
def notice_list(request, filters: Query[NoticeQuery]):
    page = page_of(sel.notice_list(request.auth, unread=filters.unread), filters, _out)
    return {**page, "unread": sel.unread_count(request.auth)}


@router.post("/notices/read", response=ReadOut, summary="Mark the user's notices read")
def notice_read(request, payload: ReadIn):
    marked = svc.notice_mark_read(actor=request.auth, notice_ids=payload.ids)
    return {"marked": marked, "unread": sel.unread_count(request.auth)}
