//! Files residents attach to reports: what a file really is (read from its content, never its
//! name or declared type), whether it is small and safe enough to keep, and the same file with
//! its metadata (EXIF, GPS position, XMP, comments) removed before it is stored.
//!
//! Images are never decoded: their sizes are read from their headers (JPEG frame headers, PNG
//! `IHDR`, GIF screen and frame descriptors, WebP `VP8 `/`VP8L`/`VP8X`), so a small file built to
//! unpack into gigabytes is refused before anything allocates its pixels. Each format is walked
//! segment by segment (JPEG), chunk by chunk (PNG, WebP) or block by block (GIF) and copied
//! without the parts that carry metadata; anything after the format's end marker is dropped, so a
//! picture with a web page glued to its end is stored as the picture alone.
//!
//! HEIC is refused: its EXIF (with the GPS position iPhones record) is an item addressed by
//! offsets inside the `meta` box, which cannot be removed without rewriting the container, and
//! residents are promised that positions are removed. Browsers on iPhones send photos as JPEG
//! anyway. PDFs are kept as they are (their metadata is not removed), but refused when they
//! carry scripts or launch actions in plain sight.

/// Limits on attached files (`limits.report_*` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    /// Largest file, in bytes.
    pub max_bytes: usize,
    /// Largest image, in pixels (width × height), so that a small file cannot unpack into
    /// gigabytes.
    pub max_pixels: u64,
}

/// A file as it will be stored: its content with metadata removed, and its real type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanFile {
    /// The name to show, made safe (no path, no control characters, at most 100 characters).
    pub name: String,
    /// The MIME type read from the content.
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Why a file was refused, in words for the resident.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    #[error("{name} is empty")]
    Empty { name: String },
    #[error("{name} is larger than {limit_mb} MB")]
    TooLarge { name: String, limit_mb: usize },
    #[error("{name} is not a photo (JPEG, PNG, GIF or WebP) or a PDF")]
    NotAllowed { name: String },
    #[error("{name} says it is a {claimed} but it is not one")]
    Mismatch { name: String, claimed: String },
    #[error("{name} is too big a picture ({width} × {height} pixels)")]
    TooManyPixels {
        name: String,
        width: u64,
        height: u64,
    },
    #[error("{name} is damaged and cannot be read")]
    Damaged { name: String },
    #[error(
        "{name} is a HEIC photo, which we cannot clean of its location: please send it as a JPEG \
         (on an iPhone: Settings, Camera, Formats, Most Compatible)"
    )]
    Heic { name: String },
}

/// Longest display name kept, in characters.
const NAME_CHARS: usize = 100;

/// Reads `bytes` (the resident called it `name`, and their browser said `declared_type`), and
/// gives back the file to store, or why not.
pub fn inspect(
    name: &str,
    declared_type: Option<&str>,
    bytes: &[u8],
    limits: FileLimits,
) -> Result<CleanFile, FileProblem> {
    let name = display_name(name);
    if bytes.is_empty() {
        return Err(FileProblem::Empty { name });
    }
    if bytes.len() > limits.max_bytes {
        return Err(FileProblem::TooLarge {
            name,
            limit_mb: (limits.max_bytes / 1_000_000).max(1),
        });
    }
    let kind = match Kind::sniff(bytes) {
        Some(kind) => kind,
        None => {
            return Err(match claimed_kind(&name, declared_type) {
                Some(claimed) => FileProblem::Mismatch {
                    name,
                    claimed: claimed.to_owned(),
                },
                None => FileProblem::NotAllowed { name },
            })
        }
    };
    let cleaned = match kind {
        Kind::Jpeg => jpeg::clean(bytes),
        Kind::Png => png::clean(bytes),
        Kind::Gif => gif::clean(bytes),
        Kind::Webp => webp::clean(bytes),
        Kind::Heic => return Err(FileProblem::Heic { name }),
        Kind::Pdf => pdf::check(bytes),
    };
    let Cleaned { bytes, size } = match cleaned {
        Ok(cleaned) => cleaned,
        Err(Unreadable::Damaged) => return Err(FileProblem::Damaged { name }),
        Err(Unreadable::Refused) => return Err(FileProblem::NotAllowed { name }),
    };
    if let Some((width, height)) = size {
        if width == 0 || height == 0 {
            return Err(FileProblem::Damaged { name });
        }
        if width.saturating_mul(height) > limits.max_pixels {
            return Err(FileProblem::TooManyPixels {
                name,
                width,
                height,
            });
        }
    }
    Ok(CleanFile {
        name,
        content_type: kind.content_type(),
        bytes,
    })
}

/// The name to show: its last path component, without control or formatting characters, at
/// most [`NAME_CHARS`] characters (keeping the extension when it has to shorten it).
pub fn display_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .collect();
    let clean = clean.trim().trim_start_matches('.').trim();
    if clean.is_empty() {
        return "file".to_owned();
    }
    if clean.chars().count() <= NAME_CHARS {
        return clean.to_owned();
    }
    let extension = clean
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| ext.chars().count() <= 5)
        .map(|ext| format!(".{ext}"))
        .unwrap_or_default();
    let keep = NAME_CHARS - extension.chars().count();
    let stem: String = clean.chars().take(keep).collect();
    format!("{}{extension}", stem.trim_end())
}

/// Characters that change how text around them is shown (right-to-left overrides, zero-width
/// joiners) and could disguise `photo\u{202E}gpj.exe` as `photoexe.jpg`.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// What the name or the browser said the file was, when that is a type we take.
fn claimed_kind(name: &str, declared_type: Option<&str>) -> Option<&'static str> {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let by_name = match extension.as_str() {
        "jpg" | "jpeg" | "jpe" | "jfif" => Some(Kind::Jpeg),
        "png" => Some(Kind::Png),
        "gif" => Some(Kind::Gif),
        "webp" => Some(Kind::Webp),
        "heic" | "heif" => Some(Kind::Heic),
        "pdf" => Some(Kind::Pdf),
        _ => None,
    };
    let by_type = declared_type.and_then(|declared| {
        let declared = declared.split(';').next().unwrap_or_default().trim();
        [
            Kind::Jpeg,
            Kind::Png,
            Kind::Gif,
            Kind::Webp,
            Kind::Heic,
            Kind::Pdf,
        ]
        .into_iter()
        .find(|kind| kind.content_type().eq_ignore_ascii_case(declared))
    });
    by_name.or(by_type).map(Kind::label)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Jpeg,
    Png,
    Gif,
    Webp,
    Heic,
    Pdf,
}

impl Kind {
    fn sniff(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Kind::Jpeg)
        } else if bytes.starts_with(png::SIGNATURE) {
            Some(Kind::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Kind::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Kind::Webp)
        } else if is_heif(bytes) {
            Some(Kind::Heic)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Kind::Pdf)
        } else {
            None
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Gif => "image/gif",
            Kind::Webp => "image/webp",
            Kind::Heic => "image/heic",
            Kind::Pdf => "application/pdf",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Jpeg => "JPEG photo",
            Kind::Png => "PNG picture",
            Kind::Gif => "GIF picture",
            Kind::Webp => "WebP picture",
            Kind::Heic => "HEIC photo",
            Kind::Pdf => "PDF document",
        }
    }
}

/// An ISO media file whose `ftyp` box names a HEIF brand, as its major or a compatible brand.
fn is_heif(bytes: &[u8]) -> bool {
    const BRANDS: [&[u8; 4]; 8] = [
        b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
    ];
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return false;
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = size.clamp(16, bytes.len());
    let major = &bytes[8..12];
    let compatible = bytes[16..end].chunks_exact(4);
    std::iter::once(major)
        .chain(compatible)
        .any(|brand| BRANDS.iter().any(|known| brand == &known[..]))
}

/// A file copied without its metadata, and its picture's size when it is a picture.
struct Cleaned {
    bytes: Vec<u8>,
    size: Option<(u64, u64)>,
}

enum Unreadable {
    /// Truncated or malformed.
    Damaged,
    /// Well formed but carrying something we do not keep (a PDF with scripts).
    Refused,
}

/// A cursor over the bytes that turns running off the end into [`Unreadable::Damaged`].
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], at: usize) -> Self {
        Reader { bytes, at }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Unreadable> {
        let end = self.at.checked_add(n).ok_or(Unreadable::Damaged)?;
        let slice = self.bytes.get(self.at..end).ok_or(Unreadable::Damaged)?;
        self.at = end;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8, Unreadable> {
        Ok(self.take(1)?[0])
    }

    fn is_done(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

mod jpeg {
    //! JPEG: markers and segments; the sizes are in the frame header (`SOFn`).
    use super::{Cleaned, Reader, Unreadable};

    const SOI: u8 = 0xD8;
    const EOI: u8 = 0xD9;
    const SOS: u8 = 0xDA;
    const COM: u8 = 0xFE;

    pub(super) fn clean(bytes: &[u8]) -> Result<Cleaned, Unreadable> {
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(&[0xFF, SOI]);
        let mut reader = Reader::new(bytes, 2);
        let mut size = None;
        loop {
            if reader.byte()? != 0xFF {
                return Err(Unreadable::Damaged);
            }
            let mut marker = reader.byte()?;
            while marker == 0xFF {
                marker = reader.byte()?;
            }
            match marker {
                EOI => {
                    out.extend_from_slice(&[0xFF, EOI]);
                    let size = size.ok_or(Unreadable::Damaged)?;
                    return Ok(Cleaned {
                        bytes: out,
                        size: Some(size),
                    });
                }
                0x01 | 0xD0..=0xD7 => {
                    out.extend_from_slice(&[0xFF, marker]);
                    continue;
                }
                SOI | 0x00 => return Err(Unreadable::Damaged),
                _ => {}
            }
            let length = reader.take(2)?;
            let length = u16::from_be_bytes([length[0], length[1]]) as usize;
            if length < 2 {
                return Err(Unreadable::Damaged);
            }
            let body = reader.take(length - 2)?;
            if is_frame_header(marker) {
                if body.len() < 5 {
                    return Err(Unreadable::Damaged);
                }
                let height = u16::from_be_bytes([body[1], body[2]]) as u64;
                let width = u16::from_be_bytes([body[3], body[4]]) as u64;
                size = Some((width, height));
            }
            if !is_metadata(marker, body) {
                out.extend_from_slice(&[0xFF, marker]);
                out.extend_from_slice(&(length as u16).to_be_bytes());
                out.extend_from_slice(body);
            }
            if marker == SOS {
                let scan = entropy_coded_data(&reader)?;
                out.extend_from_slice(reader.take(scan)?);
            }
        }
    }

    /// `SOF0`..`SOF15`, without `DHT` (C4), `JPG` (C8) and `DAC` (CC), which share the range.
    fn is_frame_header(marker: u8) -> bool {
        (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
    }

    /// EXIF and XMP (`APP1`), IPTC (`APP13`), other applications' segments and comments. Kept:
    /// `APP0` (JFIF), an `APP2` ICC colour profile and the `APP14` Adobe segment (it says how
    /// CMYK colours were transformed, and without it they come out wrong).
    fn is_metadata(marker: u8, body: &[u8]) -> bool {
        match marker {
            0xE2 => !body.starts_with(b"ICC_PROFILE\0"),
            0xEE => !body.starts_with(b"Adobe"),
            0xE1..=0xEF => true,
            COM => true,
            _ => false,
        }
    }

    /// How many bytes of compressed data follow a scan header: up to the next marker that is not
    /// a stuffed `FF 00` or a restart marker.
    fn entropy_coded_data(reader: &Reader<'_>) -> Result<usize, Unreadable> {
        let data = &reader.bytes[reader.at..];
        let mut i = 0;
        while i + 1 < data.len() {
            if data[i] != 0xFF {
                i += 1;
                continue;
            }
            match data[i + 1] {
                0x00 | 0xD0..=0xD7 => i += 2,
                0xFF => i += 1,
                _ => return Ok(i),
            }
        }
        Err(Unreadable::Damaged)
    }
}

mod png {
    //! PNG: a signature and independent chunks, each with its own CRC; the size is in `IHDR`.
    use super::{Cleaned, Reader, Unreadable};

    pub(super) const SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    const METADATA: [&[u8; 4]; 5] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"];

    pub(super) fn clean(bytes: &[u8]) -> Result<Cleaned, Unreadable> {
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(SIGNATURE);
        let mut reader = Reader::new(bytes, SIGNATURE.len());
        let mut size = None;
        loop {
            let start = reader.at;
            let length = reader.take(4)?;
            let length = u32::from_be_bytes([length[0], length[1], length[2], length[3]]) as usize;
            let kind = reader.take(4)?;
            let data = reader.take(length)?;
            reader.take(4)?;
            let chunk = &bytes[start..reader.at];
            if size.is_none() {
                if kind != b"IHDR" || data.len() != 13 {
                    return Err(Unreadable::Damaged);
                }
                let width = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as u64;
                let height = u32::from_be_bytes([data[4], data[5], data[6], data[7]]) as u64;
                size = Some((width, height));
            }
            if !METADATA.iter().any(|meta| kind == &meta[..]) {
                out.extend_from_slice(chunk);
            }
            if kind == b"IEND" {
                return Ok(Cleaned { bytes: out, size });
            }
        }
    }
}

mod gif {
    //! GIF: a header, the logical screen, then blocks up to the trailer; each frame has its own
    //! size, which may be larger than the screen's.
    use super::{Cleaned, Reader, Unreadable};

    const EXTENSION: u8 = 0x21;
    const IMAGE: u8 = 0x2C;
    const TRAILER: u8 = 0x3B;
    const COMMENT: u8 = 0xFE;
    const APPLICATION: u8 = 0xFF;

    pub(super) fn clean(bytes: &[u8]) -> Result<Cleaned, Unreadable> {
        let mut reader = Reader::new(bytes, 6);
        let screen = reader.take(7)?;
        let width = u16::from_le_bytes([screen[0], screen[1]]) as u64;
        let height = u16::from_le_bytes([screen[2], screen[3]]) as u64;
        let (mut max_width, mut max_height) = (width, height);
        skip_colour_table(&mut reader, screen[4])?;
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(&bytes[..reader.at]);
        loop {
            let start = reader.at;
            match reader.byte()? {
                TRAILER => {
                    out.push(TRAILER);
                    return Ok(Cleaned {
                        bytes: out,
                        size: Some((max_width, max_height)),
                    });
                }
                IMAGE => {
                    let descriptor = reader.take(9)?;
                    let frame_width = u16::from_le_bytes([descriptor[4], descriptor[5]]) as u64;
                    let frame_height = u16::from_le_bytes([descriptor[6], descriptor[7]]) as u64;
                    max_width = max_width.max(frame_width);
                    max_height = max_height.max(frame_height);
                    skip_colour_table(&mut reader, descriptor[8])?;
                    reader.take(1)?; // the LZW minimum code size
                    skip_sub_blocks(&mut reader)?;
                    out.extend_from_slice(&bytes[start..reader.at]);
                }
                EXTENSION => {
                    let label = reader.byte()?;
                    let first = reader.at;
                    skip_sub_blocks(&mut reader)?;
                    let keep = match label {
                        COMMENT => false,
                        APPLICATION => bytes[first..].starts_with(b"\x0BNETSCAPE2.0"),
                        _ => true,
                    };
                    if keep {
                        out.extend_from_slice(&bytes[start..reader.at]);
                    }
                }
                _ => return Err(Unreadable::Damaged),
            }
        }
    }

    fn skip_colour_table(reader: &mut Reader<'_>, packed: u8) -> Result<(), Unreadable> {
        if packed & 0x80 != 0 {
            reader.take(3 << ((packed & 0x07) + 1))?;
        }
        Ok(())
    }

    fn skip_sub_blocks(reader: &mut Reader<'_>) -> Result<(), Unreadable> {
        loop {
            let length = reader.byte()? as usize;
            if length == 0 {
                return Ok(());
            }
            reader.take(length)?;
        }
    }
}

mod webp {
    //! WebP: a RIFF container of chunks; the size is in `VP8 `, `VP8L` or `VP8X`, whose flags
    //! also say whether EXIF and XMP chunks follow.
    use super::{Cleaned, Reader, Unreadable};

    const XMP_FLAG: u8 = 0x04;
    const EXIF_FLAG: u8 = 0x08;

    pub(super) fn clean(bytes: &[u8]) -> Result<Cleaned, Unreadable> {
        let riff_size = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        let end = riff_size.checked_add(8).ok_or(Unreadable::Damaged)?;
        // A RIFF size under 4 would end the file before its own "WEBP" mark.
        if end < 12 {
            return Err(Unreadable::Damaged);
        }
        let bytes = bytes.get(..end).ok_or(Unreadable::Damaged)?;
        let mut reader = Reader::new(bytes, 12);
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(&bytes[..12]);
        // The canvas (`VP8X`) and the bitstream's own size may differ, and a decoder may
        // allocate for either: the larger of each is what counts.
        let mut size: Option<(u64, u64)> = None;
        let mut grow = |width: u64, height: u64| {
            let (w, h) = size.unwrap_or_default();
            size = Some((w.max(width), h.max(height)));
        };
        let mut extended_at = None;
        while !reader.is_done() {
            let start = reader.at;
            let kind = reader.take(4)?;
            let length = reader.take(4)?;
            let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
            let data = reader.take(length)?;
            if length % 2 == 1 && !reader.is_done() {
                reader.take(1)?;
            }
            match kind {
                b"EXIF" | b"XMP " => continue,
                b"VP8X" => {
                    if data.len() < 10 {
                        return Err(Unreadable::Damaged);
                    }
                    grow(u24(&data[4..7]) + 1, u24(&data[7..10]) + 1);
                    extended_at = Some(out.len() + 8);
                }
                b"VP8 " => {
                    if data.len() < 10 || data[3..6] != [0x9D, 0x01, 0x2A] {
                        return Err(Unreadable::Damaged);
                    }
                    let width = u16::from_le_bytes([data[6], data[7]]) & 0x3FFF;
                    let height = u16::from_le_bytes([data[8], data[9]]) & 0x3FFF;
                    grow(width as u64, height as u64);
                }
                b"VP8L" => {
                    if data.len() < 5 || data[0] != 0x2F {
                        return Err(Unreadable::Damaged);
                    }
                    let bits = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
                    grow(
                        (bits & 0x3FFF) as u64 + 1,
                        ((bits >> 14) & 0x3FFF) as u64 + 1,
                    );
                }
                _ => {}
            }
            out.extend_from_slice(&bytes[start..reader.at]);
            if length % 2 == 1 && reader.at == start + 8 + length {
                out.push(0); // the padding a truncated last chunk left out
            }
        }
        let size = size.ok_or(Unreadable::Damaged)?;
        if let Some(flags) = extended_at {
            out[flags] &= !(EXIF_FLAG | XMP_FLAG);
        }
        let riff_size = u32::try_from(out.len() - 8).map_err(|_| Unreadable::Damaged)?;
        out[4..8].copy_from_slice(&riff_size.to_le_bytes());
        Ok(Cleaned {
            bytes: out,
            size: Some(size),
        })
    }

    fn u24(bytes: &[u8]) -> u64 {
        u32::from_le_bytes([bytes[0], bytes[1], bytes[2], 0]) as u64
    }
}

mod pdf {
    //! PDF: kept as it is, but not when it says in plain sight that it runs scripts or programs.
    use super::{Cleaned, Unreadable};

    const ACTIVE: [&[u8]; 4] = [b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile"];

    pub(super) fn check(bytes: &[u8]) -> Result<Cleaned, Unreadable> {
        let active = ACTIVE
            .iter()
            .any(|word| memchr::memmem::find(bytes, word).is_some());
        if active {
            return Err(Unreadable::Refused);
        }
        Ok(Cleaned {
            bytes: bytes.to_vec(),
            size: None,
        })
    }
}

#[cfg(test)]
mod tests;
