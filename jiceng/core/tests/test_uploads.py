import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation
from PIL import Image

from jiceng.core.uploads import check_image, check_images


def photo(fmt: str = "JPEG", name: str = "p.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, fmt)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def test_a_real_photo_is_accepted_by_its_content():
    assert check_image(photo("PNG", "looks-like.jpg")) == "image/png"


def test_a_script_named_like_a_photo_is_refused():
    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        check_image(fake)
    assert exc.value.code == "not_image"


def test_a_gif_is_refused_and_a_truncated_jpeg_too():
    with pytest.raises(ValidationError):
        check_image(photo("GIF", "a.gif"))
    data = photo().read()
    with pytest.raises(ValidationError):
        check_image(SimpleUploadedFile("t.jpg", data[: len(data) // 3]))


@override_settings(JICENG_UPLOAD_MAX_BYTES=100)
def test_a_file_over_the_limit_is_refused_before_reading():
    with pytest.raises(ValidationError) as exc:
        check_image(photo())
    assert exc.value.code == "too_large"


def test_several_files_name_the_bad_one():
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        check_images([photo(), SimpleUploadedFile("bad.jpg", b"nope")])
    assert exc.value.messages == ["bad.jpg: This file is not a photo we can read."]
