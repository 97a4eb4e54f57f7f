"""Film I/O with PyAV: open and probe a film, stream or seek its frames, encode the result.

A *source* is a video file, a folder of numbered stills (PNG/TIFF/JPEG/DPX, 8 or
16 bit) or a single image (one frame); an output is a film file (H.264, H.265,
ProRes, FFV1) or a folder of 16-bit PNG/TIFF frames, written atomically, with the
source's sound and subtitles copied across. Callers use the names below; the
work is done in:

* `formats` — codec, container and pixel-format tables, colour codes, the
  picture sizes each codec can carry, and the checks made before any work.
* `info` — `MediaInfo`, `StreamInfo`, `Frame`: what a film is, what a frame carries.
* `container` — opening a file with FFmpeg; its failures in the user's words.
* `decode` — the packet index's shape, seeking and decoding, frames to numpy.
* `index` — building the packet index by demuxing (cut-short files), and its cache.
* `stills` — folders of frames and single images.
* `reading` — `Reading`: how a film is read (rate, fields, a scan's values, levels), one
  value carried from the command line, a project or a request down to `open_source`.
* `levels` — a faded film's black and white points, measured and stretched as it is read.
* `source` — `open_source`, `probe` and `Source`: reading a film, and the
  decisions about timing and damaged files.
* `output` — `check_output_path` and the atomic write-then-rename.
* `remux` — copying sound, subtitles and chapters (`check_carried` first).
* `sound` — sound re-encoded where the output cannot hold it, and `Soundtrack`: another
  file's sound in place of the film's.
* `encode` — `VideoWriter`.
* `join` — one output from separately encoded chunks.
* `dpx` — DPX's film and television headers: a frame's number, rate and timecode.
* `picture` — one photograph read whole with Pillow: pixels, alpha, ICC, DPI, EXIF.
* `picture_write` — one photograph written (JPEG, PNG, TIFF, WebP), metadata and all.
* `album` — the pictures of an album (a walk of folders), and whether a folder of
  pictures is read as a film or an album (`read_folder_as`, with its reason).
"""

from panchro.engine.media.album import (
    ALBUM_JOB_DIR,
    AlbumListing,
    AlbumPicture,
    PictureHeader,
    Verdict,
    describe_listing,
    list_pictures,
    picture_header,
    read_folder_as,
)
from panchro.engine.media.deinterlace import DEINTERLACE_MODES
from panchro.engine.media.encode import VideoWriter
from panchro.engine.media.formats import (
    CODECS,
    FFMPEG_MAX_AREA,
    H264_MAX_MACROBLOCKS,
    HEVC_MAX_LUMA_PS,
    HEVC_MAX_SIDE,
    IMAGE_EXTENSIONS,
    PRORES_MAX_SIDE,
    PRORES_MAX_SLICES,
    SEQUENCE_CODECS,
    TIFF_MAX_PACKET,
    VIDEO_CONTAINERS,
    X264_MAX_SIDE,
    Fmt,
    check_codec,
    check_codec_path,
    check_frame_size,
    codec_label,
    coded_bits,
    default_matrix,
    even_size,
    fit_size,
    frame_size_problem,
    most_bits,
    output_extension,
    sequence_name,
)
from panchro.engine.media.info import Frame, MediaInfo, StreamInfo
from panchro.engine.media.join import CHUNK_STARTS_AT_ZERO, join_sequence, join_video
from panchro.engine.media.output import check_output_path, same_file
from panchro.engine.media.picture import (
    EIGHT_BIT_ONLY,
    LOSSY,
    PICTURE_INPUTS,
    PICTURE_OUTPUTS,
    Picture,
    check_picture_size,
    icc_colour_space,
    is_picture_path,
    orient,
    picture_format,
    read_picture,
)
from panchro.engine.media.picture_write import write_picture
from panchro.engine.media.reading import Reading, reading_of
from panchro.engine.media.remux import ASS_HEADER, check_carried
from panchro.engine.media.retime import Stretch, frame_grid, retimed_note, stretch_for
from panchro.engine.media.sound import Soundtrack, check_soundtrack, open_soundtrack
from panchro.engine.media.source import Source, open_source, probe
from panchro.engine.media.stills import frame_files

__all__ = [
    "Reading",
    "reading_of",
    "ALBUM_JOB_DIR",
    "ASS_HEADER",
    "Soundtrack",
    "check_carried",
    "check_soundtrack",
    "open_soundtrack",
    "CHUNK_STARTS_AT_ZERO",
    "CODECS",
    "SEQUENCE_CODECS",
    "DEINTERLACE_MODES",
    "AlbumListing",
    "AlbumPicture",
    "EIGHT_BIT_ONLY",
    "FFMPEG_MAX_AREA",
    "H264_MAX_MACROBLOCKS",
    "HEVC_MAX_LUMA_PS",
    "HEVC_MAX_SIDE",
    "IMAGE_EXTENSIONS",
    "LOSSY",
    "PICTURE_INPUTS",
    "PICTURE_OUTPUTS",
    "PRORES_MAX_SIDE",
    "PRORES_MAX_SLICES",
    "TIFF_MAX_PACKET",
    "VIDEO_CONTAINERS",
    "X264_MAX_SIDE",
    "Fmt",
    "Frame",
    "MediaInfo",
    "Picture",
    "PictureHeader",
    "Source",
    "StreamInfo",
    "Verdict",
    "VideoWriter",
    "check_codec",
    "coded_bits",
    "most_bits",
    "check_codec_path",
    "check_frame_size",
    "check_output_path",
    "check_picture_size",
    "codec_label",
    "default_matrix",
    "describe_listing",
    "even_size",
    "fit_size",
    "frame_files",
    "frame_size_problem",
    "icc_colour_space",
    "is_picture_path",
    "join_sequence",
    "join_video",
    "list_pictures",
    "open_source",
    "retimed_note",
    "Stretch",
    "frame_grid",
    "same_file",
    "stretch_for",
    "orient",
    "output_extension",
    "picture_format",
    "picture_header",
    "probe",
    "read_folder_as",
    "read_picture",
    "sequence_name",
    "write_picture",
]
