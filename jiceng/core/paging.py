"""Pagination for list pages and API lists: one COUNT and one page query, whatever the page size."""

from __future__ import annotations

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

PAGE_SIZES = (20, 50, 100, 200)


def paginate(request, queryset, default_size: int = 50):
    try:
        size = int(request.GET.get("size", default_size))
    except ValueError:
        size = default_size
    size = size if size in PAGE_SIZES else default_size
    paginator = Paginator(queryset, size)
    try:
        return paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)
