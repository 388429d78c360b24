"""The GUI's QImage cache: bounded in bytes, least recently used out first, oversized images not kept."""
import numpy as np

from alis_studio.gui.images import ImageCache, to_numpy, to_qimage


def _image(value: int):
    return to_qimage(np.full((10, 10, 3), value, np.uint8))  # RGB32: 400 bytes


def test_image_cache_is_an_lru_bounded_in_bytes(qapp):
    cache = ImageCache(max_bytes=1200)
    for i in range(3):
        cache.put(i, _image(i))
    assert cache.bytes == 1200
    assert to_numpy(cache.get(0))[0, 0, 0] == 0  # 0 is now the most recent: 1 goes first
    cache.put(3, _image(3))
    assert cache.get(1) is None and cache.get(2) is not None and cache.get(3) is not None
    assert cache.bytes <= cache.max_bytes == 1200


def test_image_cache_keeps_no_image_larger_than_itself(qapp):
    cache = ImageCache(max_bytes=399)
    cache.put("k", _image(1))
    assert cache.get("k") is None and cache.bytes == 0
