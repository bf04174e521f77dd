//! Creates the system's AWS resources on the local emulator from the definitions in
//! `portal_shared::resources` — the same ones `infra/template.yaml` declares (checked by a
//! test in `template.rs`).

use anyhow::{Context, Result};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, ExplicitAuthFlowsType, PasswordPolicyType, PreventUserExistenceErrorTypes,
    RecoveryOptionNameType, RecoveryOptionType, UserPoolPolicyType, UsernameAttributeType, VerifiedAttributeType,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
use aws_sdk_sqs::types::QueueAttributeName;
use portal_shared::resources::{self, QueueSpec, UserPoolSpec};
use serde::{Deserialize, Serialize};

pub const REGION: &str = "us-east-1";

/// Everything the functions, the gateway and the tests need to know about a provisioned
/// stack. Passed to test processes as JSON in `PORTAL_STACK`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stack {
    pub endpoint: String,
    pub region: String,
    pub table: String,
    pub bucket: String,
    pub queue_url: String,
    pub queue_arn: String,
    pub dead_letter_queue_url: String,
    pub notifications_queue_url: String,
    pub notifications_queue_arn: String,
    pub notifications_dead_letter_queue_url: String,
    pub jobs_queue_url: String,
    pub jobs_queue_arn: String,
    pub jobs_dead_letter_queue_url: String,
    pub staff_pool: Pool,
    pub customer_pool: Pool,
    pub sender: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pool {
    pub id: String,
    pub client_id: String,
    /// The `iss` of the pool's tokens (the real AWS form, also on the emulator).
    pub issuer: String,
    /// Where the pool's signing keys are served (on the emulator: its own endpoint).
    pub jwks_url: String,
}

pub const STACK_ENV: &str = "PORTAL_STACK";
pub const API_URL_ENV: &str = "PORTAL_API_URL";
/// The LocalStack endpoint whose S3 checks presigned-URL signatures (tests/e2e/presigned.rs).
pub const LOCALSTACK_URL_ENV: &str = "PORTAL_LOCALSTACK_URL";

impl Stack {
    pub fn from_env() -> Result<Self> {
        let json = std::env::var(STACK_ENV)
            .with_context(|| format!("{STACK_ENV} is not set: run the tests with `cargo xtask test`"))?;
        Ok(serde_json::from_str(&json)?)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("stack serializes")
    }

    /// An SDK configuration pointing at the emulator, with dummy credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        sdk_config(&self.endpoint).await
    }

    /// How a function process reaches this stack (the emulator's endpoint, region and
    /// dummy credentials); its own configuration is `function_env::LocalStack::environment`.
    pub fn connection_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", self.region.clone()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ]
    }
}

pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "local-emulator"))
        .load()
        .await
}

/// Resource names; `prefix` keeps several stacks apart on one emulator.
pub struct Names {
    pub prefix: String,
}

impl Names {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into() }
    }
    fn name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.prefix)
    }
}

pub async fn provision(endpoint: &str, names: &Names) -> Result<Stack> {
    let sdk = sdk_config(endpoint).await;
    let table = create_table(&sdk, &names.name("table")).await?;
    let (queue_url, queue_arn, dead_letter_queue_url) =
        create_queues(&sdk, names, "object-events", &resources::OBJECT_EVENTS_QUEUE).await?;
    let (notifications_queue_url, notifications_queue_arn, notifications_dead_letter_queue_url) =
        create_queues(&sdk, names, "notifications", &resources::NOTIFICATIONS_QUEUE).await?;
    let (jobs_queue_url, jobs_queue_arn, jobs_dead_letter_queue_url) =
        create_queues(&sdk, names, "jobs", &resources::JOBS_QUEUE).await?;
    let bucket = create_bucket(&sdk, &names.name("documents"), &queue_arn).await?;
    let staff_pool = create_pool(&sdk, endpoint, &names.name("staff"), &resources::STAFF_POOL).await?;
    let customer_pool = create_pool(&sdk, endpoint, &names.name("customers"), &resources::CUSTOMER_POOL).await?;
    let sender = "no-reply@portal.example.com".to_owned();
    aws_sdk_sesv2::Client::new(&sdk)
        .create_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .context("SES CreateEmailIdentity")?;
    Ok(Stack {
        endpoint: endpoint.to_owned(),
        region: REGION.to_owned(),
        table,
        bucket,
        queue_url,
        queue_arn,
        dead_letter_queue_url,
        notifications_queue_url,
        notifications_queue_arn,
        notifications_dead_letter_queue_url,
        jobs_queue_url,
        jobs_queue_arn,
        jobs_dead_letter_queue_url,
        staff_pool,
        customer_pool,
        sender,
    })
}

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement> {
    Ok(KeySchemaElement::builder().attribute_name(name).key_type(key_type).build()?)
}

fn string_attribute(name: &str) -> Result<AttributeDefinition> {
    Ok(AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()?)
}

async fn create_table(sdk: &SdkConfig, name: &str) -> Result<String> {
    let spec = &resources::TABLE;
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(spec.partition_key, KeyType::Hash)?)
        .key_schema(key(spec.sort_key, KeyType::Range)?)
        .attribute_definitions(string_attribute(spec.partition_key)?)
        .attribute_definitions(string_attribute(spec.sort_key)?)
        .stream_specification(
            aws_sdk_dynamodb::types::StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(spec.stream_view_type.into())
                .build()?,
        );
    for index in spec.indexes {
        request = request
            .attribute_definitions(string_attribute(index.partition_key)?)
            .attribute_definitions(string_attribute(index.sort_key)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .key_schema(key(index.partition_key, KeyType::Hash)?)
                    .key_schema(key(index.sort_key, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()?,
            );
    }
    request.send().await.context("DynamoDB CreateTable")?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder().attribute_name(spec.ttl_attribute).enabled(true).build()?,
        )
        .send()
        .await
        .context("DynamoDB UpdateTimeToLive")?;
    Ok(name.to_owned())
}

/// A queue and its dead-letter queue (after `max_receive_count` receives), as `resources`
/// specifies: (queue URL, queue ARN, DLQ URL).
async fn create_queues(
    sdk: &SdkConfig,
    names: &Names,
    name: &str,
    spec: &QueueSpec,
) -> Result<(String, String, String)> {
    let client = aws_sdk_sqs::Client::new(sdk);
    let dlq_url = client
        .create_queue()
        .queue_name(names.name(&format!("{name}-dlq")))
        .send()
        .await?
        .queue_url
        .context("no DLQ url")?;
    let dlq_arn = queue_arn(&client, &dlq_url).await?;
    let redrive =
        serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count }).to_string();
    let queue_url = client
        .create_queue()
        .queue_name(names.name(name))
        .attributes(QueueAttributeName::VisibilityTimeout, spec.visibility_timeout_seconds.to_string())
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .context("SQS CreateQueue")?
        .queue_url
        .context("no queue url")?;
    let arn = queue_arn(&client, &queue_url).await?;
    Ok((queue_url, arn, dlq_url))
}

async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> Result<String> {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .context("queue has no ARN")
}

async fn create_bucket(sdk: &SdkConfig, name: &str, queue_arn: &str) -> Result<String> {
    let client = portal_shared::aws::s3_client(sdk);
    client.create_bucket().bucket(name).send().await.context("S3 CreateBucket")?;
    // Versioned, as deployed: deleting a document must remove every version of its bytes.
    client
        .put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .context("S3 PutBucketVersioning")?;
    let mut queue = QueueConfiguration::builder().queue_arn(queue_arn);
    for event in resources::DOCUMENT_EVENTS {
        queue = queue.events(Event::from(*event));
    }
    client
        .put_bucket_notification_configuration()
        .bucket(name)
        .notification_configuration(NotificationConfiguration::builder().queue_configurations(queue.build()?).build())
        .send()
        .await
        .context("S3 PutBucketNotificationConfiguration")?;
    Ok(name.to_owned())
}

async fn create_pool(sdk: &SdkConfig, endpoint: &str, name: &str, spec: &UserPoolSpec) -> Result<Pool> {
    let client = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    let password_policy = PasswordPolicyType::builder()
        .minimum_length(spec.password_min_length as i32)
        .require_lowercase(true)
        .require_uppercase(true)
        .require_numbers(true)
        .require_symbols(true)
        .build();
    let pool = client
        .create_user_pool()
        .pool_name(name)
        .username_attributes(UsernameAttributeType::Email)
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .policies(UserPoolPolicyType::builder().password_policy(password_policy).build())
        // As the template: reset codes go to the verified email only.
        .account_recovery_setting(
            AccountRecoverySettingType::builder()
                .recovery_mechanisms(
                    RecoveryOptionType::builder()
                        .name(RecoveryOptionNameType::VerifiedEmail)
                        .priority(1)
                        .build()
                        .context("recovery option")?,
                )
                .build(),
        )
        .send()
        .await
        .context("Cognito CreateUserPool")?
        .user_pool
        .context("no user pool")?;
    let pool_id = pool.id.context("user pool without id")?;
    let mut app_client = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(format!("{name}-web"))
        .generate_secret(false)
        .prevent_user_existence_errors(PreventUserExistenceErrorTypes::from(spec.prevent_user_existence_errors));
    for flow in spec.auth_flows {
        app_client = app_client.explicit_auth_flows(ExplicitAuthFlowsType::from(*flow));
    }
    let client_id = app_client
        .send()
        .await
        .context("Cognito CreateUserPoolClient")?
        .user_pool_client
        .and_then(|c| c.client_id)
        .context("no client id")?;
    for group in spec.groups {
        client.create_group().user_pool_id(&pool_id).group_name(*group).send().await.context("Cognito CreateGroup")?;
    }
    Ok(Pool {
        issuer: format!("https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"),
        jwks_url: format!("{endpoint}/{pool_id}/.well-known/jwks.json"),
        id: pool_id,
        client_id,
    })
}
