//! The walk of a JSON resource against R4's element definitions, as the `fhir` crate holds them.

use crate::{primitive, FhirError};
use fhir::r4::meta::{BindingStrength, ElementMeta};
use serde_json::{Map, Value};
use std::{
	collections::{HashMap, HashSet},
	sync::LazyLock,
};

/// Bundles and contained resources nested deeper than this are refused.
pub const MAX_NESTING: usize = 8;

/// The abstract resources, whose names no resource carries.
const ABSTRACT: &[&str] = &["Resource", "DomainResource", "MetadataResource"];

/// Required bindings the typed model leaves as plain codes, with their codes: their value sets
/// take part of a code system (`Immunization.status` takes 3 of `event-status`'s 8), and the model
/// maps a value set only to a whole code system's enum. R4's value sets give the codes.
pub(crate) const SUBSET_VALUE_SETS: &[(&str, &[&str])] = &[
	(
		"http://hl7.org/fhir/ValueSet/immunization-status",
		&["completed", "entered-in-error", "not-done"],
	),
	("http://hl7.org/fhir/ValueSet/care-plan-intent", &["proposal", "plan", "order", "option"]),
];

/// Element definitions by the path of the element (or type) they sit in.
static CHILDREN: LazyLock<HashMap<&'static str, Vec<&'static ElementMeta>>> = LazyLock::new(|| {
	let mut children: HashMap<&'static str, Vec<&'static ElementMeta>> = HashMap::new();
	for element in fhir::r4::meta::elements() {
		if let Some((parent, _)) = element.path.rsplit_once('.') {
			children.entry(parent).or_default().push(element);
		}
	}
	children
});

/// Whether R4 defines a (concrete) resource of this name: every resource has
/// `implicitRules`, no datatype has.
fn is_resource(name: &str) -> bool {
	!ABSTRACT.contains(&name)
		&& CHILDREN.get(name).is_some_and(|c| c.iter().any(|e| e.path.ends_with(".implicitRules")))
}

/// The value set a required binding names, for `element` (a dotted path without indices) of
/// resource `name`.
pub(crate) fn binding_of(name: &str, element: &str) -> Option<&'static str> {
	let mut def = name.to_owned();
	let mut meta = None;
	for key in element.split('.') {
		let (element, _) = child(&def, key)?;
		def = definition_path(element, None)?;
		meta = Some(element);
	}
	meta?.binding?.value_set.map(|v| v.split('|').next().unwrap_or(v))
}

/// Checks a resource and everything in it; returns its type's name.
pub(crate) fn resource<'a>(value: &'a Value, at: &str, depth: usize) -> Result<&'a str, FhirError> {
	let shown = if at.is_empty() { "$" } else { at };
	if depth > MAX_NESTING {
		return Err(FhirError::TooDeep(shown.into()));
	}
	let object = value.as_object().ok_or_else(|| FhirError::NotAnObject(shown.into()))?;
	let name = match object.get("resourceType") {
		None => return Err(FhirError::MissingResourceType(shown.into())),
		Some(Value::String(name)) => name.as_str(),
		Some(_) => {
			return Err(FhirError::WrongType {
				path: format!("{shown}.resourceType"),
				expected: "a string".into(),
			})
		}
	};
	if !is_resource(name) {
		return Err(FhirError::UnknownResourceType { path: shown.into(), name: name.into() });
	}
	let here = if at.is_empty() { name.to_owned() } else { format!("{at}({name})") };
	elements(object, name, &here, depth, true)?;
	Ok(name)
}

/// The child of the element (or type) at `def` that a JSON property names, and the type it
/// takes there (a choice element's from the property's suffix).
fn child(def: &str, key: &str) -> Option<(&'static ElementMeta, Option<&'static str>)> {
	let children = CHILDREN.get(def)?;
	for element in children {
		let name = element.path.rsplit('.').next().unwrap_or(element.path);
		if let Some(base) = name.strip_suffix("[x]") {
			let Some(suffix) = key.strip_prefix(base) else { continue };
			for ty in element.types {
				if capitalized(ty.code) == suffix {
					return Some((element, Some(ty.code)));
				}
			}
		} else if name == key {
			return Some((element, element.types.first().map(|t| t.code)));
		}
	}
	None
}

fn capitalized(code: &str) -> String {
	let mut chars = code.chars();
	chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// Where the children of a complex value of `element` (typed `ty`) are defined: its own path for
/// a backbone element, the referenced path for a content reference, else its type's name.
fn definition_path(element: &ElementMeta, ty: Option<&'static str>) -> Option<String> {
	if let Some(reference) = element.content_reference {
		return Some(reference.trim_start_matches('#').to_owned());
	}
	match ty.or_else(|| element.types.first().map(|t| t.code))? {
		"BackboneElement" | "Element" => Some(element.path.to_owned()),
		other => Some(other.to_owned()),
	}
}

/// What a value of an element is.
enum Kind {
	Resource,
	Complex(String),
	Primitive(primitive::Type),
}

fn kind(element: &ElementMeta, ty: Option<&'static str>) -> Kind {
	if element.content_reference.is_some() {
		return Kind::Complex(definition_path(element, ty).unwrap_or_default());
	}
	let ty = ty.unwrap_or("Element");
	if ty == "Resource" {
		return Kind::Resource;
	}
	let resource_id = element.path.strip_suffix(".id").is_some_and(is_resource);
	match primitive::Type::of(ty, element.path, resource_id) {
		Some(primitive) => Kind::Primitive(primitive),
		None => Kind::Complex(definition_path(element, Some(ty)).unwrap_or_default()),
	}
}

/// Checks the properties of an object defined at `def`, then that its required children are
/// present.
fn elements(
	object: &Map<String, Value>,
	def: &str,
	here: &str,
	depth: usize,
	is_resource: bool,
) -> Result<(), FhirError> {
	if object.is_empty() {
		return Err(FhirError::Empty(here.into()));
	}
	let mut choices: HashMap<&'static str, &str> = HashMap::new();
	let mut present: HashSet<&'static str> = HashSet::new();
	for (key, value) in object {
		if is_resource && key == "resourceType" {
			continue;
		}
		let path = format!("{here}.{key}");
		let (bare, extension) = match key.strip_prefix('_') {
			Some(bare) => (bare, true),
			None => (key.as_str(), false),
		};
		let (element, ty) =
			child(def, bare).ok_or_else(|| FhirError::UnknownElement(path.clone()))?;
		if element.path.ends_with("[x]") {
			if let Some(first) = choices.insert(element.path, bare) {
				if first != bare {
					return Err(FhirError::TwoChoices {
						path: format!("{here}.{}", element.path.rsplit('.').next().unwrap_or("")),
						first: first.to_owned(),
						second: bare.to_owned(),
					});
				}
			}
		}
		present.insert(element.path);
		let kind = kind(element, ty);
		if extension {
			let Kind::Primitive(_) = kind else {
				return Err(FhirError::UnknownElement(path));
			};
			primitive_extension(value, element, &path, depth, object.get(bare))?;
		} else {
			occurrences(
				value,
				element,
				&kind,
				&path,
				depth,
				object.contains_key(&format!("_{bare}")),
			)?;
			subset_binding(value, element, &path)?;
		}
	}
	if let Some(children) = CHILDREN.get(def) {
		for element in children.iter().filter(|e| e.min >= 1) {
			if !present.contains(element.path) {
				let name = element.path.rsplit('.').next().unwrap_or(element.path);
				return Err(FhirError::Missing(format!("{here}.{name}")));
			}
		}
	}
	Ok(())
}

/// Checks the codes of an element bound to one of [`SUBSET_VALUE_SETS`].
fn subset_binding(value: &Value, element: &ElementMeta, path: &str) -> Result<(), FhirError> {
	let Some(binding) = element.binding.filter(|b| b.strength == BindingStrength::Required) else {
		return Ok(());
	};
	let Some(value_set) = binding.value_set.map(|v| v.split('|').next().unwrap_or(v)) else {
		return Ok(());
	};
	let Some((_, codes)) = SUBSET_VALUE_SETS.iter().find(|(url, _)| *url == value_set) else {
		return Ok(());
	};
	let items = match value {
		Value::Array(items) => items.iter().collect(),
		one => vec![one],
	};
	for code in items.into_iter().filter_map(Value::as_str) {
		if !codes.contains(&code) {
			return Err(FhirError::BadCode {
				path: path.into(),
				value: code.into(),
				value_set: value_set.into(),
			});
		}
	}
	Ok(())
}

/// Checks an element's value: an array exactly where the element repeats, then each item.
fn occurrences(
	value: &Value,
	element: &ElementMeta,
	kind: &Kind,
	path: &str,
	depth: usize,
	has_extensions: bool,
) -> Result<(), FhirError> {
	let repeats = element.max != "0" && element.max != "1";
	match (value, repeats) {
		(Value::Null, _) => Err(FhirError::Empty(path.into())),
		(Value::Array(items), true) => {
			if items.is_empty() || items.iter().all(Value::is_null) {
				return Err(FhirError::Empty(path.into()));
			}
			for (i, item) in items.iter().enumerate() {
				let at = format!("{path}[{i}]");
				match item {
					// A primitive item with only extensions is `null` here, its extensions in
					// the `_` sibling at the same index.
					Value::Null if has_extensions && matches!(kind, Kind::Primitive(_)) => {}
					_ => one(item, kind, &at, depth)?,
				}
			}
			Ok(())
		}
		(Value::Array(_), false) => Err(FhirError::WrongType {
			path: path.into(),
			expected: "a single value, not an array (R4 allows it at most once)".into(),
		}),
		(_, true) => Err(FhirError::WrongType {
			path: path.into(),
			expected: "an array (R4 allows it more than once)".into(),
		}),
		(item, false) => one(item, kind, path, depth),
	}
}

fn one(value: &Value, kind: &Kind, path: &str, depth: usize) -> Result<(), FhirError> {
	match kind {
		Kind::Resource => resource(value, path, depth.saturating_add(1)).map(|_| ()),
		Kind::Primitive(ty) => ty.check(value, path),
		Kind::Complex(def) => match value {
			Value::Object(object) => elements(object, def, path, depth, false),
			Value::Null => Err(FhirError::Empty(path.into())),
			_ => Err(FhirError::WrongType { path: path.into(), expected: "an object".into() }),
		},
	}
}

/// A primitive's `_` sibling: an `Element` (id, extensions) for each value.
fn primitive_extension(
	value: &Value,
	element: &ElementMeta,
	path: &str,
	depth: usize,
	primitive_value: Option<&Value>,
) -> Result<(), FhirError> {
	let repeats = element.max != "0" && element.max != "1";
	let element_kind = Kind::Complex("Element".into());
	match (value, repeats) {
		(Value::Array(items), true) => {
			if items.is_empty() || items.iter().all(Value::is_null) {
				return Err(FhirError::Empty(path.into()));
			}
			let values = primitive_value.and_then(Value::as_array).map_or(0, Vec::len);
			if primitive_value.is_some() && values != items.len() {
				return Err(FhirError::WrongType {
					path: path.into(),
					expected: format!("an array as long as its values' ({values})"),
				});
			}
			for (i, item) in items.iter().enumerate() {
				if !item.is_null() {
					one(item, &element_kind, &format!("{path}[{i}]"), depth)?;
				}
			}
			Ok(())
		}
		(Value::Array(_), false) => Err(FhirError::WrongType {
			path: path.into(),
			expected: "an object (the element's id and extensions)".into(),
		}),
		(_, true) => Err(FhirError::WrongType {
			path: path.into(),
			expected: "an array (R4 allows the element more than once)".into(),
		}),
		(item, false) => one(item, &element_kind, path, depth),
	}
}
