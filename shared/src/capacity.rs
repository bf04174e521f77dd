//! `ReturnConsumedCapacity=TOTAL` on every DynamoDB request, for the growth benchmark: an
//! SDK interceptor that sets the parameter on each operation's input before it is
//! serialized, so the answers carry the capacity units each request consumed (the
//! recording proxy of the benchmark reads them, `xtask/src/aws_proxy.rs`). Installed by
//! [`crate::aws::dynamodb_client`] only when [`ENV`] is `TOTAL`: deployed functions never
//! set it, and their requests stay as they are.

use aws_sdk_dynamodb::operation;
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The environment variable that asks for the consumed capacity (`TOTAL`).
pub const ENV: &str = "PORTAL_DYNAMODB_RETURN_CONSUMED_CAPACITY";

/// Whether this process asks DynamoDB for the capacity its requests consume.
pub fn requested() -> bool {
    std::env::var(ENV).is_ok_and(|v| v.eq_ignore_ascii_case("TOTAL"))
}

/// Sets `ReturnConsumedCapacity=TOTAL` on every operation that takes it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReturnConsumedCapacityTotal;

/// Sets the field on the first input type among `$input` that the request is.
macro_rules! set_total {
    ($input:expr, $($ty:ty),+ $(,)?) => {{
        let input = $input;
        $(
            if let Some(typed) = input.downcast_mut::<$ty>() {
                typed.return_consumed_capacity = Some(ReturnConsumedCapacity::Total);
                return Ok(());
            }
        )+
    }};
}

impl Intercept for ReturnConsumedCapacityTotal {
    fn name(&self) -> &'static str {
        "ReturnConsumedCapacityTotal"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        set_total!(
            context.input_mut(),
            operation::get_item::GetItemInput,
            operation::batch_get_item::BatchGetItemInput,
            operation::query::QueryInput,
            operation::scan::ScanInput,
            operation::put_item::PutItemInput,
            operation::update_item::UpdateItemInput,
            operation::delete_item::DeleteItemInput,
            operation::batch_write_item::BatchWriteItemInput,
            operation::transact_write_items::TransactWriteItemsInput,
            operation::transact_get_items::TransactGetItemsInput,
        );
        // Other operations (table management) take no such parameter.
        Ok(())
    }
}
