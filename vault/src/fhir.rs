//! FHIR R4 JSON validation, applied to a payload before it is sealed.
//!
//! It checks what the FHIR R4 JSON format (<https://hl7.org/fhir/R4/json.html>) makes a
//! resource: a JSON object whose `resourceType` names an R4 resource; a valid `id`; no
//! `null` outside arrays and no empty strings, objects or arrays; property names as FHIR
//! writes them; for the resource types the chain indexes, the elements R4 requires (1..1
//! cardinality) with their required value sets (and Appointment's, ResearchStudy's and
//! ResearchSubject's, which the node serves for telehealth and trials); and the same,
//! recursively, for a Bundle's
//! entries and for contained resources. It does not check profiles or terminology bindings
//! beyond those value sets: that is a FHIR server's job, and the node never sees plaintext.

use carechain_primitives::FhirResourceType;
use serde_json::{Map, Value};

/// Why a payload is not FHIR R4 JSON. Each message names the element at fault.
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
	/// An `id` that is not 1 to 64 of `A-Z a-z 0-9 - .`.
	#[error("{0}: id must be 1 to 64 characters of A-Z, a-z, 0-9, '-' and '.'")]
	BadId(String),
	/// A required element is absent.
	#[error("{0} is required")]
	Missing(String),
	/// A code outside its required value set.
	#[error("{path} is {value:?}: expected one of {allowed}")]
	BadCode {
		/// Where.
		path: String,
		/// The code given.
		value: String,
		/// The codes allowed.
		allowed: String,
	},
	/// An element of the wrong JSON type.
	#[error("{path} must be {expected}")]
	WrongType {
		/// Where.
		path: String,
		/// What it must be.
		expected: &'static str,
	},
	/// `null`, `""`, `{}` or `[]`, which FHIR JSON forbids.
	#[error("{0} is empty or null: FHIR JSON omits absent elements instead")]
	Empty(String),
	/// A property name FHIR would never write.
	#[error("{0}: not a FHIR property name")]
	BadPropertyName(String),
	/// Resources nested deeper than the limit.
	#[error("{0}: resources nested more than {MAX_NESTING} deep")]
	TooDeep(String),
}

/// Bundles and contained resources nested deeper than this are refused.
pub const MAX_NESTING: usize = 8;

/// Validates `json` as one FHIR R4 resource and returns the type the chain indexes it under.
pub fn validate(json: &[u8]) -> Result<FhirResourceType, FhirError> {
	let value: Value =
		serde_json::from_slice(json).map_err(|e| FhirError::NotJson(e.to_string()))?;
	let name = resource(&value, "$", 0)?;
	Ok(indexed_type(name))
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

fn resource<'a>(value: &'a Value, path: &str, depth: usize) -> Result<&'a str, FhirError> {
	if depth > MAX_NESTING {
		return Err(FhirError::TooDeep(path.into()));
	}
	let object = value.as_object().ok_or_else(|| FhirError::NotAnObject(path.into()))?;
	let name = match object.get("resourceType") {
		None => return Err(FhirError::MissingResourceType(path.into())),
		Some(Value::String(name)) => name.as_str(),
		Some(_) => {
			return Err(FhirError::WrongType {
				path: format!("{path}.resourceType"),
				expected: "a string",
			})
		}
	};
	if R4_RESOURCE_TYPES.binary_search(&name).is_err() {
		return Err(FhirError::UnknownResourceType { path: path.into(), name: name.into() });
	}
	let here = if path == "$" { name.to_owned() } else { format!("{path}({name})") };
	if let Some(id) = object.get("id") {
		let valid = id.as_str().is_some_and(|id| {
			(1..=64).contains(&id.len())
				&& id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
		});
		if !valid {
			return Err(FhirError::BadId(format!("{here}.id")));
		}
	}
	for (key, element) in object {
		if key == "resourceType" || key == "contained" || (name == "Bundle" && key == "entry") {
			continue;
		}
		elements(element, &format!("{here}.{key}"), key)?;
	}
	required(name, object, &here)?;
	if let Some(contained) = object.get("contained") {
		for (i, inner) in array(contained, &format!("{here}.contained"))?.iter().enumerate() {
			resource(inner, &format!("{here}.contained[{i}]"), depth + 1)?;
		}
	}
	if name == "Bundle" {
		if let Some(entries) = object.get("entry") {
			for (i, entry) in array(entries, &format!("{here}.entry"))?.iter().enumerate() {
				let at = format!("{here}.entry[{i}]");
				let entry = entry.as_object().ok_or_else(|| FhirError::WrongType {
					path: at.clone(),
					expected: "an object",
				})?;
				for (key, element) in entry {
					if key != "resource" {
						elements(element, &format!("{at}.{key}"), key)?;
					}
				}
				if let Some(inner) = entry.get("resource") {
					resource(inner, &format!("{at}.resource"), depth + 1)?;
				}
			}
		}
	}
	Ok(name)
}

fn array<'a>(value: &'a Value, path: &str) -> Result<&'a Vec<Value>, FhirError> {
	match value {
		Value::Array(items) if items.is_empty() => Err(FhirError::Empty(path.into())),
		Value::Array(items) => Ok(items),
		_ => Err(FhirError::WrongType { path: path.into(), expected: "an array" }),
	}
}

/// Checks an element and everything in it: no empty values, FHIR property names.
fn elements(value: &Value, path: &str, key: &str) -> Result<(), FhirError> {
	let name_ok = {
		let bare = key.strip_prefix('_').unwrap_or(key);
		let mut chars = bare.chars();
		chars.next().is_some_and(|c| c.is_ascii_alphabetic())
			&& chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
	};
	if !name_ok {
		return Err(FhirError::BadPropertyName(path.into()));
	}
	check_value(value, path, false)
}

fn check_value(value: &Value, path: &str, in_array: bool) -> Result<(), FhirError> {
	match value {
		// Arrays of primitives carry `null` where an item has only an extension.
		Value::Null if in_array => Ok(()),
		Value::Null => Err(FhirError::Empty(path.into())),
		Value::String(s) if s.is_empty() => Err(FhirError::Empty(path.into())),
		Value::Array(items) => {
			if items.is_empty() || items.iter().all(Value::is_null) {
				return Err(FhirError::Empty(path.into()));
			}
			for (i, item) in items.iter().enumerate() {
				if item.is_array() {
					return Err(FhirError::WrongType {
						path: format!("{path}[{i}]"),
						expected: "an element, not an array",
					});
				}
				check_value(item, &format!("{path}[{i}]"), true)?;
			}
			Ok(())
		}
		Value::Object(fields) => {
			if fields.is_empty() {
				return Err(FhirError::Empty(path.into()));
			}
			for (key, inner) in fields {
				if key == "resourceType" {
					// A resource nested in an element (Parameters.parameter.resource).
					continue;
				}
				elements(inner, &format!("{path}.{key}"), key)?;
			}
			Ok(())
		}
		_ => Ok(()),
	}
}

/// What R4 requires of the resource types the chain indexes.
fn required(name: &str, object: &Map<String, Value>, here: &str) -> Result<(), FhirError> {
	const REQUEST_STATUS: &[&str] =
		&["draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"];
	const EVENT_STATUS: &[&str] = &[
		"preparation",
		"in-progress",
		"not-done",
		"on-hold",
		"stopped",
		"completed",
		"entered-in-error",
		"unknown",
	];
	const OBSERVATION_STATUS: &[&str] = &[
		"registered",
		"preliminary",
		"final",
		"amended",
		"corrected",
		"cancelled",
		"entered-in-error",
		"unknown",
	];
	let need = |element: &str| {
		object
			.get(element)
			.map(|_| ())
			.ok_or_else(|| FhirError::Missing(format!("{here}.{element}")))
	};
	let need_choice = |prefix: &str, choices: &[&str]| {
		let present = choices.iter().any(|c| object.contains_key(&format!("{prefix}{c}")));
		if present {
			Ok(())
		} else {
			Err(FhirError::Missing(format!("{here}.{prefix}[x]")))
		}
	};
	let code = |element: &str, allowed: &[&str]| {
		let value =
			object.get(element).ok_or_else(|| FhirError::Missing(format!("{here}.{element}")))?;
		let value = value.as_str().ok_or_else(|| FhirError::WrongType {
			path: format!("{here}.{element}"),
			expected: "a code (string)",
		})?;
		if allowed.contains(&value) {
			Ok(())
		} else {
			Err(FhirError::BadCode {
				path: format!("{here}.{element}"),
				value: value.into(),
				allowed: allowed.join(", "),
			})
		}
	};
	const MEDICATION: &[&str] = &["CodeableConcept", "Reference"];
	match name {
		"Observation" => {
			code("status", OBSERVATION_STATUS)?;
			need("code")
		}
		"DiagnosticReport" => {
			code("status", OBSERVATION_STATUS)?;
			need("code")
		}
		"Condition" => need("subject"),
		"Procedure" => {
			code("status", EVENT_STATUS)?;
			need("subject")
		}
		"MedicationRequest" => {
			code(
				"status",
				&[
					"active",
					"on-hold",
					"cancelled",
					"completed",
					"entered-in-error",
					"stopped",
					"draft",
					"unknown",
				],
			)?;
			code(
				"intent",
				&[
					"proposal",
					"plan",
					"order",
					"original-order",
					"reflex-order",
					"filler-order",
					"instance-order",
					"option",
				],
			)?;
			need("subject")?;
			need_choice("medication", MEDICATION)
		}
		"MedicationStatement" => {
			code(
				"status",
				&[
					"active",
					"completed",
					"entered-in-error",
					"intended",
					"stopped",
					"on-hold",
					"unknown",
					"not-taken",
				],
			)?;
			need("subject")?;
			need_choice("medication", MEDICATION)
		}
		"AllergyIntolerance" => need("patient"),
		"Immunization" => {
			code("status", &["completed", "entered-in-error", "not-done"])?;
			need("vaccineCode")?;
			need("patient")?;
			need_choice("occurrence", &["DateTime", "String"])
		}
		"DocumentReference" => {
			code("status", &["current", "superseded", "entered-in-error"])?;
			need("content")
		}
		"Encounter" => {
			code(
				"status",
				&[
					"planned",
					"arrived",
					"triaged",
					"in-progress",
					"onleave",
					"finished",
					"cancelled",
					"entered-in-error",
					"unknown",
				],
			)?;
			need("class")
		}
		"CarePlan" => {
			code("status", REQUEST_STATUS)?;
			code("intent", &["proposal", "plan", "order", "option"])?;
			need("subject")
		}
		"ImagingStudy" => {
			code(
				"status",
				&["registered", "available", "cancelled", "entered-in-error", "unknown"],
			)?;
			need("subject")
		}
		"Appointment" => {
			code(
				"status",
				&[
					"proposed",
					"pending",
					"booked",
					"arrived",
					"fulfilled",
					"cancelled",
					"noshow",
					"entered-in-error",
					"checked-in",
					"waitlist",
				],
			)?;
			need("participant")
		}
		"ResearchStudy" => code(
			"status",
			&[
				"active",
				"administratively-completed",
				"approved",
				"closed-to-accrual",
				"closed-to-accrual-and-intervention",
				"completed",
				"disapproved",
				"in-review",
				"temporarily-closed-to-accrual",
				"temporarily-closed-to-accrual-and-intervention",
				"withdrawn",
			],
		),
		"ResearchSubject" => {
			code(
				"status",
				&[
					"candidate",
					"eligible",
					"follow-up",
					"ineligible",
					"not-registered",
					"off-study",
					"on-study",
					"on-study-intervention",
					"on-study-observation",
					"pending-on-study",
					"potential-candidate",
					"screening",
					"withdrawn",
				],
			)?;
			need("study")?;
			need("individual")
		}
		"Bundle" => code(
			"type",
			&[
				"document",
				"message",
				"transaction",
				"transaction-response",
				"batch",
				"batch-response",
				"history",
				"searchset",
				"collection",
			],
		),
		_ => Ok(()),
	}
}

/// The resource types of FHIR R4 (4.0.1), sorted for binary search.
const R4_RESOURCE_TYPES: &[&str] = &[
	"Account",
	"ActivityDefinition",
	"AdverseEvent",
	"AllergyIntolerance",
	"Appointment",
	"AppointmentResponse",
	"AuditEvent",
	"Basic",
	"Binary",
	"BiologicallyDerivedProduct",
	"BodyStructure",
	"Bundle",
	"CapabilityStatement",
	"CarePlan",
	"CareTeam",
	"CatalogEntry",
	"ChargeItem",
	"ChargeItemDefinition",
	"Claim",
	"ClaimResponse",
	"ClinicalImpression",
	"CodeSystem",
	"Communication",
	"CommunicationRequest",
	"CompartmentDefinition",
	"Composition",
	"ConceptMap",
	"Condition",
	"Consent",
	"Contract",
	"Coverage",
	"CoverageEligibilityRequest",
	"CoverageEligibilityResponse",
	"DetectedIssue",
	"Device",
	"DeviceDefinition",
	"DeviceMetric",
	"DeviceRequest",
	"DeviceUseStatement",
	"DiagnosticReport",
	"DocumentManifest",
	"DocumentReference",
	"EffectEvidenceSynthesis",
	"Encounter",
	"Endpoint",
	"EnrollmentRequest",
	"EnrollmentResponse",
	"EpisodeOfCare",
	"EventDefinition",
	"Evidence",
	"EvidenceVariable",
	"ExampleScenario",
	"ExplanationOfBenefit",
	"FamilyMemberHistory",
	"Flag",
	"Goal",
	"GraphDefinition",
	"Group",
	"GuidanceResponse",
	"HealthcareService",
	"ImagingStudy",
	"Immunization",
	"ImmunizationEvaluation",
	"ImmunizationRecommendation",
	"ImplementationGuide",
	"InsurancePlan",
	"Invoice",
	"Library",
	"Linkage",
	"List",
	"Location",
	"Measure",
	"MeasureReport",
	"Media",
	"Medication",
	"MedicationAdministration",
	"MedicationDispense",
	"MedicationKnowledge",
	"MedicationRequest",
	"MedicationStatement",
	"MedicinalProduct",
	"MedicinalProductAuthorization",
	"MedicinalProductContraindication",
	"MedicinalProductIndication",
	"MedicinalProductIngredient",
	"MedicinalProductInteraction",
	"MedicinalProductManufactured",
	"MedicinalProductPackaged",
	"MedicinalProductPharmaceutical",
	"MedicinalProductUndesirableEffect",
	"MessageDefinition",
	"MessageHeader",
	"MolecularSequence",
	"NamingSystem",
	"NutritionOrder",
	"Observation",
	"ObservationDefinition",
	"OperationDefinition",
	"OperationOutcome",
	"Organization",
	"OrganizationAffiliation",
	"Parameters",
	"Patient",
	"PaymentNotice",
	"PaymentReconciliation",
	"Person",
	"PlanDefinition",
	"Practitioner",
	"PractitionerRole",
	"Procedure",
	"Provenance",
	"Questionnaire",
	"QuestionnaireResponse",
	"RelatedPerson",
	"RequestGroup",
	"ResearchDefinition",
	"ResearchElementDefinition",
	"ResearchStudy",
	"ResearchSubject",
	"RiskAssessment",
	"RiskEvidenceSynthesis",
	"Schedule",
	"SearchParameter",
	"ServiceRequest",
	"Slot",
	"Specimen",
	"SpecimenDefinition",
	"StructureDefinition",
	"StructureMap",
	"Subscription",
	"Substance",
	"SubstanceNucleicAcid",
	"SubstancePolymer",
	"SubstanceProtein",
	"SubstanceReferenceInformation",
	"SubstanceSourceMaterial",
	"SubstanceSpecification",
	"SupplyDelivery",
	"SupplyRequest",
	"Task",
	"TerminologyCapabilities",
	"TestReport",
	"TestScript",
	"ValueSet",
	"VerificationResult",
	"VisionPrescription",
];

#[cfg(test)]
mod tests {
	use super::*;

	fn check(json: &str) -> Result<FhirResourceType, FhirError> {
		validate(json.as_bytes())
	}

	#[test]
	fn the_type_list_is_sorted() {
		assert!(R4_RESOURCE_TYPES.windows(2).all(|w| w[0] < w[1]));
		for name in ["Account", "Bundle", "Observation", "VisionPrescription"] {
			assert!(R4_RESOURCE_TYPES.binary_search(&name).is_ok(), "{name}");
		}
	}

	#[test]
	fn valid_resources_map_to_their_indexed_types() {
		let observation = r#"{"resourceType":"Observation","id":"glucose-1","status":"final",
			"code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},
			"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":6.3,"unit":"mmol/L"},
			"_status":{"extension":[{"url":"http://example.org/x","valueString":"y"}]}}"#;
		assert_eq!(check(observation), Ok(FhirResourceType::Observation));
		assert_eq!(check(r#"{"resourceType":"Practitioner"}"#), Ok(FhirResourceType::Other));
		let bundle = format!(
			r#"{{"resourceType":"Bundle","type":"collection","entry":[{{"fullUrl":"urn:uuid:1","resource":{observation}}}]}}"#
		);
		assert_eq!(check(&bundle), Ok(FhirResourceType::Bundle));
		let with_nulls =
			r#"{"resourceType":"Patient","given":["Ann",null],"_given":[null,{"id":"x"}]}"#;
		assert_eq!(check(with_nulls), Ok(FhirResourceType::Patient));
	}

	#[test]
	fn each_fault_is_named() {
		assert!(matches!(check("{"), Err(FhirError::NotJson(_))));
		assert_eq!(check("[1]"), Err(FhirError::NotAnObject("$".into())));
		assert_eq!(check(r#"{"id":"a"}"#), Err(FhirError::MissingResourceType("$".into())));
		assert_eq!(
			check(r#"{"resourceType":"Patinet"}"#),
			Err(FhirError::UnknownResourceType { path: "$".into(), name: "Patinet".into() })
		);
		assert_eq!(
			check(r#"{"resourceType":"Patient","id":"has space"}"#),
			Err(FhirError::BadId("Patient.id".into()))
		);
		assert_eq!(
			check(r#"{"resourceType":"Observation","code":{"text":"x"}}"#),
			Err(FhirError::Missing("Observation.status".into()))
		);
		assert_eq!(
			check(r#"{"resourceType":"Observation","status":"done","code":{"text":"x"}}"#),
			Err(FhirError::BadCode {
				path: "Observation.status".into(),
				value: "done".into(),
				allowed: "registered, preliminary, final, amended, corrected, cancelled, entered-in-error, unknown".into(),
			})
		);
		assert_eq!(
			check(r#"{"resourceType":"Patient","name":[]}"#),
			Err(FhirError::Empty("Patient.name".into()))
		);
		assert_eq!(
			check(r#"{"resourceType":"Patient","gender":null}"#),
			Err(FhirError::Empty("Patient.gender".into()))
		);
		assert_eq!(
			check(r#"{"resourceType":"Patient","name":[{"family":""}]}"#),
			Err(FhirError::Empty("Patient.name[0].family".into()))
		);
		assert_eq!(
			check(r#"{"resourceType":"Patient","na-me":"x"}"#),
			Err(FhirError::BadPropertyName("Patient.na-me".into()))
		);
		assert_eq!(
			check(
				r#"{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"}}"#
			),
			Err(FhirError::Missing("MedicationRequest.medication[x]".into()))
		);
	}

	#[test]
	fn bundle_entries_and_contained_resources_are_checked() {
		let bad_entry = r#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":"final"}}]}"#;
		assert_eq!(
			check(bad_entry),
			Err(FhirError::Missing("Bundle.entry[0].resource(Observation).code".into()))
		);
		let bad_contained = r#"{"resourceType":"Patient","contained":[{"resourceType":"Nope"}]}"#;
		assert_eq!(
			check(bad_contained),
			Err(FhirError::UnknownResourceType {
				path: "Patient.contained[0]".into(),
				name: "Nope".into()
			})
		);
		assert_eq!(
			check(r#"{"resourceType":"Bundle","type":"pile"}"#).unwrap_err().to_string(),
			"Bundle.type is \"pile\": expected one of document, message, transaction, transaction-response, batch, batch-response, history, searchset, collection"
		);
		let mut nested = r#"{"resourceType":"Patient"}"#.to_owned();
		for _ in 0..=MAX_NESTING {
			nested = format!(
				r#"{{"resourceType":"Bundle","type":"collection","entry":[{{"resource":{nested}}}]}}"#
			);
		}
		assert!(matches!(check(&nested), Err(FhirError::TooDeep(_))));
	}

	#[test]
	fn appointments_need_a_status_from_the_value_set_and_participants() {
		let good = r#"{"resourceType":"Appointment","status":"booked","participant":[{"status":"accepted"}]}"#;
		assert_eq!(check(good), Ok(FhirResourceType::Other));
		assert_eq!(
			check(r#"{"resourceType":"Appointment","status":"booked"}"#),
			Err(FhirError::Missing("Appointment.participant".into()))
		);
		assert!(check(
			r#"{"resourceType":"Appointment","status":"done","participant":[{"status":"accepted"}]}"#
		)
		.is_err());
	}

	#[test]
	fn research_resources_need_their_status_study_and_individual() {
		let subject = r#"{"resourceType":"ResearchSubject","status":"on-study","study":{"reference":"ResearchStudy/s0"},"individual":{"identifier":{"value":"x"}}}"#;
		assert_eq!(check(subject), Ok(FhirResourceType::Other));
		assert_eq!(
			check(&subject.replace(r#","individual":{"identifier":{"value":"x"}}"#, "")),
			Err(FhirError::Missing("ResearchSubject.individual".into()))
		);
		assert!(matches!(
			check(&subject.replace("on-study", "enrolled")),
			Err(FhirError::BadCode { .. })
		));
		assert_eq!(
			check(r#"{"resourceType":"ResearchStudy","status":"active"}"#),
			Ok(FhirResourceType::Other)
		);
		assert_eq!(
			check(r#"{"resourceType":"ResearchStudy","id":"s0"}"#),
			Err(FhirError::Missing("ResearchStudy.status".into()))
		);
	}
}
