//! Reading `infra/template.yaml`; the tests below keep it in step with the resource
//! definitions the local stack is provisioned from and with the route table.
