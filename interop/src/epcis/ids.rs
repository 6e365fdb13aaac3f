//! GS1 identifiers as EPCIS writes them: EPC URNs (`urn:epc:id:sgtin:0614141.107346.2017`) and
//! GS1 Digital Link URIs (`https://id.gs1.org/01/10614141073464/21/2017`), and the conversion of
//! the first to the second that CBV 2.0's event hash and the chain's import both need.
//!
//! An EPC URN splits a key at its company prefix, whose length only GS1's register knows; a
//! Digital Link URI carries the whole key. The chain stores whole keys (a GTIN-14, an SSCC-18),
//! so it writes Digital Link URIs and reads both.

use carechain_primitives::gs1_check_digit;

/// The canonical host of GS1 Digital Link URIs.
pub const DIGITAL_LINK: &str = "https://id.gs1.org";

/// The GS1 check digit (an ASCII digit) of ASCII digits `body`.
fn check_digit(body: &str) -> Option<char> {
	body.bytes().all(|b| b.is_ascii_digit()).then(|| char::from(gs1_check_digit(body.as_bytes())))
}

/// `body` followed by its check digit.
fn with_check_digit(body: String) -> Option<String> {
	let digit = check_digit(&body)?;
	Some(body + &digit.to_string())
}

/// Percent-encodes the characters a canonical Digital Link URI may not carry raw but an EPC
/// URN's serial may (`!()*+,:`); `%XX` escapes are kept as written.
fn percent_encode(text: &str) -> String {
	text.chars().fold(String::with_capacity(text.len()), |mut out, c| {
		match c {
			'!' | '(' | ')' | '*' | '+' | ',' | ':' => out.push_str(&format!("%{:02X}", c as u32)),
			c => out.push(c),
		}
		out
	})
}

/// A GTIN-14 from an EPC's company prefix and indicator digit plus item reference.
fn gtin(company_prefix: &str, item_reference: &str) -> Option<String> {
	let (indicator, item) = item_reference.split_at_checked(1)?;
	with_check_digit(format!("{indicator}{company_prefix}{item}"))
}

/// A 13-digit key (GLN, GDTI, SGCN) from a company prefix and a reference.
fn key13(company_prefix: &str, reference: &str) -> Option<String> {
	with_check_digit(format!("{company_prefix}{reference}"))
}

/// The Digital Link URI of an EPC URN, EPC class URN or whole-class EPC pattern, as CBV 2.0's
/// event hash canonicalises identifiers; `None` for what has no Digital Link form.
pub fn epc_to_digital_link(urn: &str) -> Option<String> {
	let rest = urn.strip_prefix("urn:epc:")?;
	let (kind, rest) = rest.split_once(':')?;
	let (scheme, value) = rest.split_once(':')?;
	let parts: Vec<&str> = value.split('.').collect();
	let len = |i: usize| parts.get(i).map_or(0, |p| p.len());
	// The company prefix and the reference after it: their digits make the key's body.
	let body = len(0).saturating_add(len(1));
	let dl = DIGITAL_LINK;
	let uri = match (kind, scheme, parts.as_slice()) {
		("id", "sgtin", [cp, ir, serial]) if body == 13 => {
			format!("{dl}/01/{}/21/{}", gtin(cp, ir)?, percent_encode(serial))
		}
		("id", "sscc", [cp, sr]) if body == 17 => {
			let (extension, serial) = sr.split_at_checked(1)?;
			format!("{dl}/00/{}", with_check_digit(format!("{extension}{cp}{serial}"))?)
		}
		("id", "sgln", [cp, lr, extension]) if body == 12 => match *extension {
			"0" => format!("{dl}/414/{}", key13(cp, lr)?),
			e => format!("{dl}/414/{}/254/{}", key13(cp, lr)?, percent_encode(e)),
		},
		("id", "grai", [cp, at, serial]) if body == 12 => {
			let key = with_check_digit(format!("0{cp}{at}"))?;
			format!("{dl}/8003/{key}{}", percent_encode(serial))
		}
		("id", "giai", [cp, rest @ ..]) if !rest.is_empty() => {
			format!("{dl}/8004/{cp}{}", percent_encode(&rest.join(".")))
		}
		("id", "gsrn", [cp, sr]) if body == 17 => {
			format!("{dl}/8018/{}", with_check_digit(format!("{cp}{sr}"))?)
		}
		("id", "gsrnp", [cp, sr]) if body == 17 => {
			format!("{dl}/8017/{}", with_check_digit(format!("{cp}{sr}"))?)
		}
		("id", "gdti", [cp, dt, serial]) if body == 12 => {
			format!("{dl}/253/{}{}", key13(cp, dt)?, percent_encode(serial))
		}
		("id", "sgcn", [cp, ct, serial]) if body == 12 => {
			format!("{dl}/255/{}{serial}", key13(cp, ct)?)
		}
		("id", "cpi", [cp, reference, serial]) => {
			format!("{dl}/8010/{}/8011/{serial}", percent_encode(&format!("{cp}{reference}")))
		}
		("id", "ginc", [cp, rest @ ..]) if !rest.is_empty() => {
			format!("{dl}/401/{cp}{}", percent_encode(&rest.join(".")))
		}
		("id", "gsin", [cp, sr]) if body == 16 => {
			format!("{dl}/402/{}", with_check_digit(format!("{cp}{sr}"))?)
		}
		("id", "itip", [cp, ir, piece, total, serial]) => {
			format!("{dl}/8006/{}{piece}{total}/21/{}", gtin(cp, ir)?, percent_encode(serial))
		}
		("id", "upui", [cp, ir, tpx]) => {
			format!("{dl}/01/{}/235/{}", gtin(cp, ir)?, percent_encode(tpx))
		}
		("id", "pgln", [cp, pr]) if body == 12 => format!("{dl}/417/{}", key13(cp, pr)?),
		("class", "lgtin", [cp, ir, lot]) => {
			format!("{dl}/01/{}/10/{}", gtin(cp, ir)?, percent_encode(lot))
		}
		// A pattern names a key only when it spans a whole class: `…:sgtin:CP.IR.*`.
		("idpat", "sgtin" | "upui", [cp, ir, "*"]) => format!("{dl}/01/{}", gtin(cp, ir)?),
		("idpat", "grai", [cp, at, "*"]) => {
			format!("{dl}/8003/{}", with_check_digit(format!("0{cp}{at}"))?)
		}
		("idpat", "gdti", [cp, dt, "*"]) => format!("{dl}/253/{}", key13(cp, dt)?),
		("idpat", "sgcn", [cp, ct, "*"]) => format!("{dl}/255/{}", key13(cp, ct)?),
		("idpat", "cpi", [cp, reference, "*"]) => {
			format!("{dl}/8010/{}", percent_encode(&format!("{cp}{reference}")))
		}
		("idpat", "itip", [cp, ir, piece, total, "*"]) => {
			format!("{dl}/8006/{}{piece}{total}", gtin(cp, ir)?)
		}
		_ => return None,
	};
	Some(uri)
}

/// Digital Link's short names of application identifiers, as an uncompressed URI may write
/// them (`/gtin/…` for `/01/…`).
const SHORT_NAMES: &[(&str, &str)] = &[
	("gtin", "01"),
	("itip", "8006"),
	("cpid", "8010"),
	("gln", "414"),
	("party", "417"),
	("gsrnp", "8017"),
	("gsrn", "8018"),
	("gcn", "255"),
	("sscc", "00"),
	("gdti", "253"),
	("ginc", "401"),
	("gsin", "402"),
	("grai", "8003"),
	("giai", "8004"),
	("cpv", "22"),
	("lot", "10"),
	("ser", "21"),
];

/// The application identifiers of primary keys.
const PRIMARY_KEYS: &[&str] = &[
	"00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017",
	"8018",
];

/// The key qualifiers the canonical form keeps, the finest first: one of them at most.
fn kept_qualifiers(key: &str) -> &'static [&'static str] {
	match key {
		"01" => &["21", "235", "10"],
		"8006" => &["21", "10"],
		"414" => &["254"],
		"8010" => &["8011"],
		_ => &[],
	}
}

/// The constrained canonical form of a GS1 Digital Link URI on any host, with short names or
/// a query (`https://example.com/gtin/614141073464/ser/2017?x=1` is
/// `https://id.gs1.org/01/00614141073464/21/2017`); `None` for a URI that carries no GS1 key.
pub fn canonical_digital_link(uri: &str) -> Option<String> {
	let rest = uri.strip_prefix("https://").or_else(|| uri.strip_prefix("http://"))?;
	let path_start = rest.find('/')?;
	let path = rest.get(path_start..)?;
	let path = path.split(['?', '#']).next().unwrap_or_default();
	let segments: Vec<&str> = path
		.split('/')
		.filter(|s| !s.is_empty())
		.map(|s| SHORT_NAMES.iter().find(|(name, _)| *name == s).map_or(s, |(_, ai)| *ai))
		.collect();
	let starts_with_digits =
		|s: &str| s.len() >= 4 && s.bytes().take(4).all(|b| b.is_ascii_digit());
	let at = segments
		.windows(2)
		.position(|pair| PRIMARY_KEYS.contains(&pair[0]) && starts_with_digits(pair[1]))?;
	let key = segments[at];
	let mut value = segments[at.checked_add(1)?].to_owned();
	if key == "01" && value.len() < 14 {
		value = format!("{value:0>14}");
	}
	let qualifiers = segments.get(at.checked_add(2)?..).unwrap_or_default();
	let mut out = format!("{DIGITAL_LINK}/{key}/{value}");
	for wanted in kept_qualifiers(key) {
		let found = qualifiers.chunks_exact(2).find(|pair| pair[0] == *wanted);
		if let Some(pair) = found {
			out.push_str(&format!("/{}/{}", pair[0], pair[1]));
			break;
		}
	}
	Some(out)
}

/// The canonical form of an identifier for CBV 2.0's event hash: EPC URNs and Digital Link
/// URIs as constrained canonical Digital Link URIs; anything else as written.
pub fn canonical_identifier(value: &str) -> String {
	if value.starts_with("urn:epc:") {
		return epc_to_digital_link(value).unwrap_or_else(|| value.to_owned());
	}
	if value.starts_with("http://") || value.starts_with("https://") {
		return canonical_digital_link(value).unwrap_or_else(|| value.to_owned());
	}
	value.to_owned()
}

/// What an EPCIS identifier names, as far as the chain can hold it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Gs1Key {
	/// A serialized unit: GTIN-14 and serial.
	Sgtin([u8; 14], String),
	/// A case or pallet.
	Sscc([u8; 18]),
	/// A lot of a product: GTIN-14 and lot.
	Lgtin([u8; 14], String),
	/// A location, by GLN (with its extension, when not `0`).
	Location([u8; 13], Option<String>),
	/// A party, by GLN.
	Party([u8; 13]),
}

fn digits<const N: usize>(text: &str) -> Option<[u8; N]> {
	let bytes: [u8; N] = text.as_bytes().try_into().ok()?;
	let (body, last) = bytes.split_at(N.checked_sub(1)?);
	(bytes.iter().all(u8::is_ascii_digit) && last == [gs1_check_digit(body)]).then_some(bytes)
}

/// Undoes [`percent_encode`] and any other `%XX` escape.
fn percent_decode(text: &str) -> Option<String> {
	let bytes = text.as_bytes();
	let mut out = Vec::with_capacity(bytes.len());
	let mut i = 0usize;
	while let Some(&b) = bytes.get(i) {
		if b == b'%' {
			let hex = text.get(i.checked_add(1)?..i.checked_add(3)?)?;
			out.push(u8::from_str_radix(hex, 16).ok()?);
			i = i.checked_add(3)?;
		} else {
			out.push(b);
			i = i.checked_add(1)?;
		}
	}
	String::from_utf8(out).ok()
}

/// The GS1 key an EPC URN or Digital Link URI names, its check digit checked; `None` for any
/// other identifier, a malformed one, or a wrong check digit.
pub fn parse_key(identifier: &str) -> Option<Gs1Key> {
	let uri = if identifier.starts_with("urn:epc:") {
		epc_to_digital_link(identifier)?
	} else {
		canonical_digital_link(identifier)?
	};
	let path = uri.strip_prefix(DIGITAL_LINK)?.strip_prefix('/')?;
	let segments: Vec<&str> = path.split('/').collect();
	match segments.as_slice() {
		["01", gtin, "21", serial] => Some(Gs1Key::Sgtin(digits(gtin)?, percent_decode(serial)?)),
		["01", gtin, "10", lot] => Some(Gs1Key::Lgtin(digits(gtin)?, percent_decode(lot)?)),
		["00", sscc] => Some(Gs1Key::Sscc(digits(sscc)?)),
		["414", gln] => Some(Gs1Key::Location(digits(gln)?, None)),
		["414", gln, "254", extension] => {
			Some(Gs1Key::Location(digits(gln)?, Some(percent_decode(extension)?)))
		}
		["417", gln] => Some(Gs1Key::Party(digits(gln)?)),
		_ => None,
	}
}

/// The Digital Link URI of a serialized unit.
pub fn sgtin_uri(gtin: &[u8; 14], serial: &[u8]) -> String {
	let serial = percent_encode(&String::from_utf8_lossy(serial));
	format!("{DIGITAL_LINK}/01/{}/21/{serial}", String::from_utf8_lossy(gtin))
}

/// The Digital Link URI of a case or pallet.
pub fn sscc_uri(sscc: &[u8; 18]) -> String {
	format!("{DIGITAL_LINK}/00/{}", String::from_utf8_lossy(sscc))
}

/// The Digital Link URI of a lot of a product (an EPC class).
pub fn lgtin_uri(gtin: &[u8; 14], lot: &[u8]) -> String {
	let lot = percent_encode(&String::from_utf8_lossy(lot));
	format!("{DIGITAL_LINK}/01/{}/10/{lot}", String::from_utf8_lossy(gtin))
}

/// The Digital Link URI of a location by its GLN.
pub fn location_uri(gln: &[u8; 13]) -> String {
	format!("{DIGITAL_LINK}/414/{}", String::from_utf8_lossy(gln))
}

/// The Digital Link URI of a party by its GLN.
pub fn party_uri(gln: &[u8; 13]) -> String {
	format!("{DIGITAL_LINK}/417/{}", String::from_utf8_lossy(gln))
}
