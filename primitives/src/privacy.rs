//! What tests and privacy scans check chain data by: the fields an event (or any enum) can
//! carry, read from its type information rather than from the events a test happened to see.

use scale_info::{PortableRegistry, Registry, TypeDef, TypeInfo};

/// One field of one variant of an enum.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VariantField {
	/// The variant's name (`RecordErased`).
	pub variant: String,
	/// The field's name (`record_id`); empty for an unnamed field.
	pub field: String,
	/// The path of the field's type (`pallet_consent::types::EmergencyReason`); empty for
	/// primitives, arrays and tuples.
	pub type_path: String,
}

/// Every field of every variant of the enum `E`, such as a pallet's `Event`; empty when `E`
/// is not an enum.
pub fn variant_fields<E: TypeInfo + 'static>() -> Vec<VariantField> {
	let mut registry = Registry::new();
	let id = registry.register_type(&scale_info::meta_type::<E>()).id;
	let portable = PortableRegistry::from(registry);
	let Some(TypeDef::Variant(enumeration)) = portable.resolve(id).map(|t| &t.type_def) else {
		return Vec::new();
	};
	enumeration
		.variants
		.iter()
		.flat_map(|variant| {
			variant.fields.iter().map(|field| VariantField {
				variant: variant.name.clone(),
				field: field.name.clone().unwrap_or_default(),
				type_path: portable
					.resolve(field.ty.id)
					.map(|ty| ty.path.segments.join("::"))
					.unwrap_or_default(),
			})
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn fields_of_an_enum_are_listed_with_their_types() {
		let fields = variant_fields::<crate::Decision>();
		assert_eq!(
			fields,
			vec![
				VariantField {
					variant: "Allowed".into(),
					field: String::new(),
					type_path: "carechain_primitives::AccessBasis".into(),
				},
				VariantField {
					variant: "Denied".into(),
					field: String::new(),
					type_path: "carechain_primitives::DenialReason".into(),
				},
			]
		);
		assert!(variant_fields::<u32>().is_empty());
	}
}
