"""XMP with Google's Photo Sphere (GPano) tags: a loop period as a 360-degree panorama.

Viewers (Google Photos, Facebook, Pannellum, Photo Sphere viewers) read GPano from a JPEG's APP1
XMP packet; TIFF stores the packet in tag 700 and PNG in an iTXt chunk. We declare an
equirectangular sphere as wide as the image (FullPanoWidthPixels = width, height = width / 2)
of which the image is the horizontal band around the horizon, centred: a strip, not a full
sphere. Its vertical field of view is what the aspect gives, 360 * height / width degrees (a
4,096 x 128 px loop: 11.25 degrees); the poles stay empty (black or grey, per viewer).
"""
from __future__ import annotations

from alis_studio.errors import ExportError

XMP_TAG = 700  # TIFF's XMLPacket
_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:GPano="http://ns.google.com/photos/1.0/panorama/">
   <GPano:UsePanoramaViewer>True</GPano:UsePanoramaViewer>
   <GPano:ProjectionType>equirectangular</GPano:ProjectionType>
   <GPano:FullPanoWidthPixels>{full_w}</GPano:FullPanoWidthPixels>
   <GPano:FullPanoHeightPixels>{full_h}</GPano:FullPanoHeightPixels>
   <GPano:CroppedAreaImageWidthPixels>{w}</GPano:CroppedAreaImageWidthPixels>
   <GPano:CroppedAreaImageHeightPixels>{h}</GPano:CroppedAreaImageHeightPixels>
   <GPano:CroppedAreaLeftPixels>0</GPano:CroppedAreaLeftPixels>
   <GPano:CroppedAreaTopPixels>{top}</GPano:CroppedAreaTopPixels>
   <GPano:InitialViewHeadingDegrees>0</GPano:InitialViewHeadingDegrees>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def gpano_xmp(width: int, height: int) -> bytes:
    """The XMP packet (UTF-8) declaring a `width` x `height` image a full 360-degree horizontal strip."""
    if height > width // 2:
        raise ExportError(f"a 360-degree panorama must be at least twice as wide as tall, got {width} x {height} px")
    full_h = width // 2
    return _TEMPLATE.format(full_w=width, full_h=full_h, w=width, h=height, top=(full_h - height) // 2).encode()


def vertical_fov(width: int, height: int) -> float:
    """Degrees of vertical view a viewer gives the strip."""
    return 360.0 * height / width
