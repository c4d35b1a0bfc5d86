"""The column and kind names read back as written, in every interface language."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.conf import settings
from django.utils import translation

from jiceng.core.exchange.formats import FORMATS, CellError, normalize, read_code, read_code_list, read_date


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_headers_and_kinds_read_back_in_every_language(language, kind):
    fmt = FORMATS[kind]
    lookup = fmt.header_lookup()
    with translation.override(language):
        titles = [str(c.title) for c in fmt.columns]
        assert len({normalize(t) for t in titles}) == len(titles), "two columns share a title"
        for column, title in zip(fmt.columns, titles, strict=True):
            assert lookup[normalize(title)] is column
        reader = fmt.column("kind").read
        for value, label in zip(fmt.kind_choices.values, fmt.kind_choices.labels, strict=True):
            assert reader(str(label)) == value
            assert reader(value) == value


@pytest.mark.parametrize(
    ("text", "kind"),
    [("村", "community"), ("镇", "subdistrict"), ("楼栋", "building"), ("党工委", "working_committee"),
     ("党总支", "general_branch"), ("物业公司", "property_company"), (" Grid ", "grid")],
)
def test_customary_chinese_kind_names(text, kind):
    fmts = [f for f in FORMATS.values() if kind in f.kind_choices.values]
    assert fmts[0].column("kind").read(text) == kind


def test_cell_readers():
    assert read_code(350102, 24) == "350102"
    assert read_code(350102001001.0, 24) == "350102001001"
    with pytest.raises(CellError):
        read_code(3.50102001001001e20, 24)
    with pytest.raises(CellError):
        read_code("3501 02", 24)
    assert read_code_list("350102001，350102002; 350102003、350102001") == ["350102001", "350102002", "350102003"]
    assert read_date(datetime(2020, 7, 1, 0, 0)) == date(2020, 7, 1)
    for text in ("2020-07-01", "2020/7/1", "2020年7月1日", "20200701", "2020.07.01"):
        assert read_date(text) == date(2020, 7, 1)
    for bad in ("2020-02-30", "July 1st", "1/7/2020"):
        with pytest.raises(CellError):
            read_date(bad)
