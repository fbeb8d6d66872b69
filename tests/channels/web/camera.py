"""A phone camera for the browser tests: chromium's fake capture device plays a Y4M file, made here from an
image of a QR code, as if the code were held in front of the lens."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image

WIDTH, HEIGHT = 640, 480


def qr_image(text: str) -> Image.Image:
    """The QR code of `text` on a white frame, as a printed code seen by a camera."""
    code = segno.make(text, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=6, border=4)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    side = min(HEIGHT - 40, image.width)
    image = image.resize((side, side), Image.NEAREST)
    frame.paste(image, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    return frame.convert("RGB")


def y4m_of(image: Image.Image, path: Path, frames: int = 10) -> Path:
    """`image` as a YUV 4:2:0 video of a few identical frames (chromium loops it)."""
    y, cb, cr = image.resize((WIDTH, HEIGHT)).convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)
    return path
