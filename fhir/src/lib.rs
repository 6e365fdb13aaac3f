//! FHIR R4 JSON validation on a maintained model: the `fhir` crate's R4 (4.0.1) release.
//!
//! A payload is checked twice, each time against what the `fhir` crate generated from the R4
//! specification:
//!
//! 1. **Element definitions** ([`fhir::r4::meta`]): every property is walked against the
//!    definitions of the element it sits in (a resource, a datatype, a backbone element, a
//!    content reference), so an unknown element, an object where an array belongs or an array
//!    where one value belongs, a JSON type that is not the element's (a string for a boolean
//!    or decimal), two types of one choice (`valueString` and `valueQuantity`), a missing
//!    required element (1..1 and 1..*) and a primitive extension (`_birthDate`) that is not an
//!    `Element` are each refused with the element's path (`Observation.effectiveDateTime`).
//! 2. **Typed resources** ([`fhir::r4::resources::Resource`] and its `Validate`): the payload
//!    is read into the typed model, which refuses a code outside a required binding's value
//!    set (`Patient.gender` `"robot"`) and any shape the model cannot hold.
//!
//! What the model does not express is checked here, in [`primitive`]: the formats the R4
//! specification gives its primitive types as regular expressions (`date`, `dateTime`,
//! `instant`, `time`, `id`, `code`, `uri`, `oid`, `uuid`, `base64Binary`, the integer ranges):
//! the model keeps dates as strings and accepts any. And the rules of the JSON format itself
//! (<https://hl7.org/fhir/R4/json.html>), which no element definition carries: no `null`
//! outside a primitive array that has extensions, no empty string, object or array, and a
//! bound on how deeply resources nest (contained resources, Bundle entries).
//!
//! Profiles, invariants (FHIRPath constraints) and terminology beyond required bindings are
//! not checked: that is a FHIR server's job, and the node never sees plaintext.

mod primitive;
mod walk;

use carechain_primitives::FhirResourceType;
use fhir::r4::validate::Validate as _;

pub use primitive::is_date;
pub use walk::MAX_NESTING;

/// Why a payload is not FHIR R4 JSON. Each names the element at fault, as a FHIR path
/// (`Bundle.entry[1].resource(Observation).status`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FhirError {
	/// Not JSON at all.
	#[error("not JSON: {0}")]
	NotJson(String),
	/// A resource that is not a JSON object.
	#[error("{0}: a resource must be a JSON object")]
	NotAnObject(String),
	/// No `resourceType`.
	#[error("{0}: resourceType is missing")]
	MissingResourceType(String),
	/// A `resourceType` that R4 does not define.
	#[error("{path}: {name:?} is not a FHIR R4 resource type")]
	UnknownResourceType {
		/// Where.
		path: String,
		/// The name given.
		name: String,
	},
	/// A property R4 does not define for this element.
	#[error("{0}: R4 defines no such element here")]
	UnknownElement(String),
	/// A required element is absent.
	#[error("{0} is required")]
	Missing(String),
	/// A code outside its required value set.
	#[error("{path} is {value:?}: not a code of its required value set {value_set}")]
	BadCode {
		/// Where.
		path: String,
		/// The code given.
		value: String,
		/// The value set it is bound to.
		value_set: String,
	},
	/// An element of the wrong JSON type.
	#[error("{path} must be {expected}")]
	WrongType {
		/// Where.
		path: String,
		/// What it must be.
		expected: String,
	},
	/// A primitive whose text is not in its type's format.
	#[error("{path} is {value:?}: not a valid FHIR {type_name} ({expected})")]
	BadFormat {
		/// Where.
		path: String,
		/// The text given (cut to 64 characters).
		value: String,
		/// The primitive type.
		type_name: &'static str,
		/// What the format is.
		expected: &'static str,
	},
	/// Two types of one choice element.
	#[error("{path}: {first} and {second} are two values of one choice element; give one")]
	TwoChoices {
		/// The choice element (`Observation.value[x]`).
		path: String,
		/// The first property.
		first: String,
		/// The second property.
		second: String,
	},
	/// `null`, `""`, `{}` or `[]`, which FHIR JSON forbids.
	#[error("{0} is empty or null: FHIR JSON omits absent elements instead")]
	Empty(String),
	/// Resources nested deeper than the limit.
	#[error("{0}: resources nested more than {MAX_NESTING} deep")]
	TooDeep(String),
	/// What the typed model refused that the element walk let through.
	#[error("{path}: {message}")]
	Model {
		/// Where (the resource, when the model does not say further).
		path: String,
		/// The model's reason.
		message: String,
	},
}

/// Validates `json` as one FHIR R4 resource and returns the type the chain indexes it under.
pub fn validate(json: &[u8]) -> Result<FhirResourceType, FhirError> {
	let value: serde_json::Value =
		serde_json::from_slice(json).map_err(|e| FhirError::NotJson(e.to_string()))?;
	validate_value(&value)
}

/// [`validate`] on parsed JSON.
pub fn validate_value(value: &serde_json::Value) -> Result<FhirResourceType, FhirError> {
	let name = walk::resource(value, "", 0)?.to_owned();
	let typed: fhir::r4::resources::Resource = serde_json::from_value(value.clone())
		.map_err(|e| FhirError::Model { path: name.clone(), message: e.to_string() })?;
	if let Some(issue) = typed.validate().into_iter().next() {
		return Err(model_issue(&name, value, issue));
	}
	Ok(indexed_type(&name))
}

/// The typed model's finding as an error naming the element: a code outside its required
/// value set reads as [`FhirError::BadCode`] at the element that holds it (with its indices, as
/// the walk names elements), with the value set from the element definition.
fn model_issue(
	name: &str,
	value: &serde_json::Value,
	issue: fhir::r4::validate::ValidationIssue,
) -> FhirError {
	// The model names `<element path>.code`, without the resource type or indices, and quotes
	// the code in its message.
	let element = issue.path.strip_suffix(".code").unwrap_or(&issue.path);
	let code = issue.message.split('"').nth(1).unwrap_or_default().to_owned();
	if issue.message.contains("not in the required value set") {
		let keys: Vec<&str> = element.split('.').collect();
		let path = locate(value, &keys, &code, name).unwrap_or_else(|| format!("{name}.{element}"));
		let value_set = walk::binding_of(name, element).unwrap_or("its required value set");
		return FhirError::BadCode { path, value: code, value_set: value_set.to_owned() };
	}
	FhirError::Model { path: format!("{name}.{element}"), message: issue.message }
}

/// Where along `keys` (through any array items) `code` stands, as a FHIR path from `here`.
fn locate(value: &serde_json::Value, keys: &[&str], code: &str, here: &str) -> Option<String> {
	use serde_json::Value;
	let Some((key, rest)) = keys.split_first() else {
		return (value.as_str() == Some(code)).then(|| here.to_owned());
	};
	let inner = value.get(*key)?;
	let at = format!("{here}.{key}");
	let named = |item: &Value, at: String| match item.get("resourceType").and_then(Value::as_str) {
		Some(kind) if *key == "contained" || *key == "resource" => format!("{at}({kind})"),
		_ => at,
	};
	match inner {
		Value::Array(items) => items
			.iter()
			.enumerate()
			.find_map(|(i, item)| locate(item, rest, code, &named(item, format!("{at}[{i}]")))),
		item => locate(item, rest, code, &named(item, at)),
	}
}

/// The chain's resource type for an R4 resource name.
pub fn indexed_type(name: &str) -> FhirResourceType {
	use FhirResourceType as T;
	match name {
		"Patient" => T::Patient,
		"Observation" => T::Observation,
		"Condition" => T::Condition,
		"Procedure" => T::Procedure,
		"MedicationRequest" => T::MedicationRequest,
		"MedicationStatement" => T::MedicationStatement,
		"AllergyIntolerance" => T::AllergyIntolerance,
		"Immunization" => T::Immunization,
		"DiagnosticReport" => T::DiagnosticReport,
		"DocumentReference" => T::DocumentReference,
		"Encounter" => T::Encounter,
		"CarePlan" => T::CarePlan,
		"ImagingStudy" => T::ImagingStudy,
		"Bundle" => T::Bundle,
		_ => T::Other,
	}
}
