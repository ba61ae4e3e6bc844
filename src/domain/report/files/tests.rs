//! Hand-built files: pictures with metadata that must come out without it, files that are not
//! what they claim, pictures built to exhaust memory, and broken ones.
use super::*;

const LIMITS: FileLimits = FileLimits {
    max_bytes: 1_000_000,
    max_pixels: 50_000_000,
};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A JPEG of `width` × `height` with JFIF, an EXIF block holding a GPS position, an XMP packet,
/// an ICC profile, a comment, and a scan with stuffed bytes and a restart marker.
fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    out.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    out.extend(segment(
        0xE1,
        b"Exif\0\0MM\0*GPSLatitude 52.33 GPSLongitude -0.18",
    ));
    out.extend(segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>Jo Bloggs</x:xmpmeta>",
    ));
    out.extend(segment(0xE2, b"ICC_PROFILE\0\x01\x01profile"));
    out.extend(segment(0xED, b"Photoshop 3.0\08BIM IPTC by-line"));
    out.extend(segment(0xFE, b"taken at 12 Acacia Avenue"));
    out.extend(segment(0xDB, &[0; 65]));
    let mut frame = vec![8];
    frame.extend_from_slice(&height.to_be_bytes());
    frame.extend_from_slice(&width.to_be_bytes());
    frame.extend_from_slice(&[1, 1, 0x11, 0]);
    out.extend(segment(0xC0, &frame));
    out.extend(segment(0xC4, &[0; 20]));
    out.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
    out.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0x78]);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    out
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = png::SIGNATURE.to_vec();
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend(chunk(b"IHDR", &header));
    out.extend(chunk(b"tEXt", b"Author\0Jo Bloggs"));
    out.extend(chunk(b"tIME", &[7, 234, 12, 6, 10, 0, 0]));
    out.extend(chunk(b"eXIf", b"MM\0*GPS"));
    out.extend(chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]));
    out.extend(chunk(b"IEND", &[]));
    out
}

/// Every chunk of a PNG, checking each one's CRC on the way.
fn png_chunks(bytes: &[u8]) -> Vec<String> {
    assert!(bytes.starts_with(png::SIGNATURE));
    let mut at = 8;
    let mut kinds = Vec::new();
    while at < bytes.len() {
        let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        let data = &bytes[at + 8..at + 8 + length];
        let stored =
            u32::from_be_bytes(bytes[at + 8 + length..at + 12 + length].try_into().unwrap());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        assert_eq!(
            crc.sum(),
            stored,
            "CRC of {}",
            String::from_utf8_lossy(kind)
        );
        kinds.push(String::from_utf8_lossy(kind).into_owned());
        at += 12 + length;
    }
    kinds
}

fn gif() -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&[2, 0, 2, 0, 0x80, 0, 0]);
    out.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    out.extend_from_slice(b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00");
    out.extend_from_slice(b"\x21\xFF\x0BXMP DataXMP\x05Jo B.\x00");
    out.extend_from_slice(b"\x21\xFE\x0Ehidden comment\x00");
    out.extend_from_slice(&[0x21, 0xF9, 4, 0, 10, 0, 0, 0]);
    out.extend_from_slice(&[0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0]);
    out.extend_from_slice(&[2, 2, 0x44, 0x01, 0]);
    out.push(0x3B);
    out
}

fn riff_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = kind.to_vec();
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    out
}

fn webp(width: u32, height: u32) -> Vec<u8> {
    let mut vp8x = vec![0x08 | 0x04 | 0x10, 0, 0, 0];
    vp8x.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    let mut body = b"WEBP".to_vec();
    body.extend(riff_chunk(b"VP8X", &vp8x));
    body.extend(riff_chunk(b"ALPH", &[0; 3]));
    body.extend(riff_chunk(b"VP8L", &[0x2F, 0, 0, 0, 0, 1, 2]));
    body.extend(riff_chunk(b"EXIF", b"MM\0*GPSLatitude"));
    body.extend(riff_chunk(b"XMP ", b"<x:xmpmeta>Jo Bloggs</x:xmpmeta>"));
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

#[test]
fn a_jpeg_loses_its_exif_gps_xmp_iptc_and_comments_and_keeps_its_colour_profile() {
    let file = inspect("IMG_0001.JPG", Some("image/jpeg"), &jpeg(640, 480), LIMITS).unwrap();
    assert_eq!(file.content_type, "image/jpeg");
    assert!(file.bytes.starts_with(&[0xFF, 0xD8]));
    assert!(file.bytes.ends_with(&[0xFF, 0xD9]));
    for gone in [&b"Exif"[..], b"GPS", b"xmpmeta", b"8BIM", b"Acacia"] {
        assert!(
            !contains(&file.bytes, gone),
            "{}",
            String::from_utf8_lossy(gone)
        );
    }
    assert!(contains(&file.bytes, b"JFIF"));
    assert!(contains(&file.bytes, b"ICC_PROFILE"));
    assert!(contains(
        &file.bytes,
        &[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0x78]
    ));
}

#[test]
fn anything_after_the_end_of_a_picture_is_dropped() {
    let mut bytes = jpeg(10, 10);
    bytes.extend_from_slice(b"<script>alert(1)</script>");
    let file = inspect("a.jpg", None, &bytes, LIMITS).unwrap();
    assert!(file.bytes.ends_with(&[0xFF, 0xD9]));
    assert!(!contains(&file.bytes, b"script"));
}

#[test]
fn a_png_loses_its_text_time_and_exif_chunks_and_every_crc_still_holds() {
    let file = inspect("map.png", Some("image/png"), &png(300, 200), LIMITS).unwrap();
    assert_eq!(file.content_type, "image/png");
    assert_eq!(png_chunks(&file.bytes), ["IHDR", "IDAT", "IEND"]);
    assert!(!contains(&file.bytes, b"Jo Bloggs"));
}

#[test]
fn a_gif_keeps_its_looping_and_loses_comments_and_other_applications() {
    let file = inspect("wave.gif", None, &gif(), LIMITS).unwrap();
    assert_eq!(file.content_type, "image/gif");
    assert!(contains(&file.bytes, b"NETSCAPE2.0"));
    assert!(!contains(&file.bytes, b"XMP DataXMP"));
    assert!(!contains(&file.bytes, b"hidden comment"));
    assert_eq!(file.bytes.last(), Some(&0x3B));
    let mut expected = gif();
    let xmp = b"\x21\xFF\x0BXMP DataXMP\x05Jo B.\x00";
    let comment = b"\x21\xFE\x0Ehidden comment\x00";
    for block in [&xmp[..], &comment[..]] {
        let at = expected
            .windows(block.len())
            .position(|w| w == block)
            .unwrap();
        expected.drain(at..at + block.len());
    }
    assert_eq!(file.bytes, expected);
}

#[test]
fn a_webp_loses_exif_and_xmp_with_its_flags_cleared_and_its_size_fixed() {
    let file = inspect("p.webp", None, &webp(800, 600), LIMITS).unwrap();
    assert_eq!(file.content_type, "image/webp");
    assert!(!contains(&file.bytes, b"EXIF"));
    assert!(!contains(&file.bytes, b"XMP "));
    assert!(!contains(&file.bytes, b"GPS"));
    let riff = u32::from_le_bytes(file.bytes[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff, file.bytes.len() - 8);
    assert_eq!(&file.bytes[12..16], b"VP8X");
    assert_eq!(file.bytes[20], 0x10, "only the alpha flag is left");
}

#[test]
fn a_simple_lossy_webp_is_read_and_a_small_canvas_cannot_hide_a_big_bitstream() {
    let mut frame = vec![0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A];
    frame.extend_from_slice(&320u16.to_le_bytes());
    frame.extend_from_slice(&240u16.to_le_bytes());
    frame.extend_from_slice(&[0; 7]);
    let mut body = b"WEBP".to_vec();
    body.extend(riff_chunk(b"VP8 ", &frame));
    let mut simple = b"RIFF".to_vec();
    simple.extend_from_slice(&(body.len() as u32).to_le_bytes());
    simple.extend(body);
    let file = inspect("a.webp", None, &simple, LIMITS).unwrap();
    assert_eq!(file.bytes, simple, "nothing to remove: the same bytes");

    // A 1 × 1 canvas around a 16,384 × 16,384 lossless bitstream.
    let mut bomb = webp(1, 1);
    let at = bomb.windows(4).position(|w| w == b"VP8L").unwrap() + 8;
    bomb[at + 1..at + 5].copy_from_slice(&0x0FFF_FFFFu32.to_le_bytes());
    assert!(matches!(
        inspect("bomb.webp", None, &bomb, LIMITS),
        Err(FileProblem::TooManyPixels {
            width: 16_384,
            height: 16_384,
            ..
        })
    ));
}

#[test]
fn a_pdf_is_kept_but_not_one_that_runs_scripts() {
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
    let file = inspect("letter.pdf", None, pdf, LIMITS).unwrap();
    assert_eq!(file.content_type, "application/pdf");
    assert_eq!(file.bytes, pdf);
    let scripted = b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>";
    assert!(matches!(
        inspect("letter.pdf", None, scripted, LIMITS),
        Err(FileProblem::NotAllowed { .. })
    ));
}

#[test]
fn heic_is_refused_because_its_location_cannot_be_removed() {
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    heic.extend_from_slice(&[0; 40]);
    assert!(matches!(
        inspect("IMG_1.HEIC", None, &heic, LIMITS),
        Err(FileProblem::Heic { .. })
    ));
}

#[test]
fn a_file_named_as_a_photo_that_is_a_web_page_is_a_mismatch() {
    let html = b"<!doctype html><html><script>alert(1)</script></html>";
    assert_eq!(
        inspect("photo.jpg", Some("image/jpeg"), html, LIMITS),
        Err(FileProblem::Mismatch {
            name: "photo.jpg".into(),
            claimed: "JPEG photo".into()
        })
    );
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
    assert!(matches!(
        inspect("drawing.png", None, svg, LIMITS),
        Err(FileProblem::Mismatch { .. })
    ));
    assert!(matches!(
        inspect("upload", Some("image/gif"), svg, LIMITS),
        Err(FileProblem::Mismatch { .. })
    ));
}

#[test]
fn web_pages_drawings_programs_and_archives_are_not_allowed() {
    let refused: [(&str, &[u8]); 4] = [
        ("page.html", b"<html><body>hi</body></html>"),
        ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("setup.exe", b"MZ\x90\0\x03\0\0\0"),
        ("photos.zip", b"PK\x03\x04\x14\0\0\0"),
    ];
    for (name, bytes) in refused {
        assert_eq!(
            inspect(name, None, bytes, LIMITS),
            Err(FileProblem::NotAllowed { name: name.into() }),
            "{name}"
        );
    }
}

#[test]
fn pictures_built_to_exhaust_memory_are_refused_from_their_headers() {
    assert_eq!(
        inspect("bomb.png", None, &png(100_000, 100_000), LIMITS),
        Err(FileProblem::TooManyPixels {
            name: "bomb.png".into(),
            width: 100_000,
            height: 100_000
        })
    );
    assert!(matches!(
        inspect("bomb.jpg", None, &jpeg(65_000, 65_000), LIMITS),
        Err(FileProblem::TooManyPixels { .. })
    ));
    assert!(matches!(
        inspect("bomb.webp", None, &webp(16_000, 16_000), LIMITS),
        Err(FileProblem::TooManyPixels { .. })
    ));
    let mut big_frame = gif();
    let frame = big_frame.iter().position(|b| *b == 0x2C).unwrap();
    big_frame[frame + 5..frame + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    assert!(matches!(
        inspect("bomb.gif", None, &big_frame, LIMITS),
        Err(FileProblem::TooManyPixels { .. })
    ));
}

#[test]
fn truncated_and_malformed_pictures_are_damaged() {
    let jpeg = jpeg(10, 10);
    let png = png(10, 10);
    let gif = gif();
    let webp = webp(10, 10);
    for (name, bytes) in [
        ("a.jpg", &jpeg[..jpeg.len() - 2]),
        ("a.jpg", &jpeg[..40]),
        ("a.png", &png[..png.len() - 6]),
        ("a.png", &png[..20]),
        ("a.gif", &gif[..gif.len() - 1]),
        ("a.gif", &gif[..9]),
        ("a.webp", &webp[..webp.len() - 4]),
        ("a.webp", &webp[..14]),
    ] {
        assert_eq!(
            inspect(name, None, bytes, LIMITS),
            Err(FileProblem::Damaged { name: name.into() }),
            "{name} of {} bytes",
            bytes.len()
        );
    }
    let mut no_header = png::SIGNATURE.to_vec();
    no_header.extend(chunk(b"IDAT", &[1, 2, 3]));
    no_header.extend(chunk(b"IEND", &[]));
    assert!(matches!(
        inspect("a.png", None, &no_header, LIMITS),
        Err(FileProblem::Damaged { .. })
    ));
}

#[test]
fn empty_and_oversized_files_are_refused() {
    assert_eq!(
        inspect("nothing.jpg", None, &[], LIMITS),
        Err(FileProblem::Empty {
            name: "nothing.jpg".into()
        })
    );
    let small = FileLimits {
        max_bytes: 100,
        ..LIMITS
    };
    assert!(matches!(
        inspect("big.jpg", None, &jpeg(10, 10)[..], small).map(|_| ()),
        Err(FileProblem::TooLarge { limit_mb: 1, .. })
    ));
}

#[test]
fn display_names_lose_paths_control_characters_and_length() {
    assert_eq!(display_name("C:\\Users\\jo\\Pictures\\car.jpg"), "car.jpg");
    assert_eq!(display_name("../../etc/passwd"), "passwd");
    assert_eq!(display_name("bad\r\nname\u{0}.png"), "badname.png");
    assert_eq!(display_name("photo\u{202E}gpj.exe"), "photogpj.exe");
    assert_eq!(display_name(""), "file");
    assert_eq!(display_name("..."), "file");
    let long = format!("{}.jpeg", "é".repeat(300));
    let short = display_name(&long);
    assert_eq!(short.chars().count(), 100);
    assert!(short.ends_with(".jpeg"));
}

#[test]
fn a_webp_whose_riff_size_ends_before_its_own_header_is_damaged_not_a_panic() {
    for size in 0u32..4 {
        let mut file = b"RIFF".to_vec();
        file.extend_from_slice(&size.to_le_bytes());
        file.extend_from_slice(b"WEBPVP8 ");
        file.extend_from_slice(&[0; 16]);
        assert!(
            matches!(
                inspect("photo.webp", Some("image/webp"), &file, LIMITS),
                Err(FileProblem::Damaged { .. })
            ),
            "RIFF size {size}"
        );
    }
}
