"""The Python 3 + boto3 equivalents of two routes, for the benchmark's comparisons.

Behind a minimal Lambda Runtime API loop like the managed Python runtime's:
    python functions.py presign_download | incoming_shares

`presign_download` makes exactly the Rust route's AWS requests (the bench checks them
through its recording proxy, and measures it warm beside the Rust and Node.js versions).
`incoming_shares` is an older, simpler reading of `GET /portal/shares` (per company: the
contact, the profile, the shares, a BatchGetItem of the documents: five requests for one
company where the Rust route makes four), kept for the cold-start comparison only.
"""

import json
import os
import sys
import urllib.request
import uuid
from datetime import datetime, timezone

import boto3
from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeSerializer
from botocore.config import Config

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
CLIENT = TABLE.meta.client
SERIALIZER = TypeSerializer()
S3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
BUCKET = os.environ["DOCUMENTS_BUCKET"]
TTL = int(os.environ.get("DOWNLOAD_URL_TTL_SECONDS", "300"))


def problem(status, detail):
    return {"statusCode": status, "headers": {"content-type": "application/problem+json"},
            "body": json.dumps({"status": status, "detail": detail})}


def ok(body):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def claims(event):
    return event["requestContext"]["authorizer"]["jwt"]["claims"]


def attachment_disposition(name):
    """`shared/src/storage.rs` `attachment_disposition`: an ASCII fallback and the RFC 5987 form."""
    fallback = "".join(c if c == " " or ("!" <= c <= "~" and c not in '"\\;%') else "_" for c in name)
    encoded = "".join(chr(b) if chr(b).isascii() and chr(b).isalnum() else f"%{b:02X}" for b in name.encode())
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def presign_download(event):
    """GET /documents/{documentId}/download: the Rust route's requests (two consistent
    GetItems, the event as a one-Put transaction), its presign and its answer."""
    staff = TABLE.get_item(Key={"PK": f"USER#{claims(event)['sub']}", "SK": "STAFF"}, ConsistentRead=True).get("Item")
    if not staff:
        return problem(403, "this account is not a staff member of any company")
    if staff.get("companyStatus", "active") != "active":
        return problem(403, "company-suspended")
    tenant = staff["tenantId"]
    document_id = event["pathParameters"]["documentId"]
    document = TABLE.get_item(Key={"PK": f"TENANT#{tenant}", "SK": f"DOC#{document_id}"}, ConsistentRead=True).get("Item")
    if not document:
        return problem(404, "no such document")
    if document.get("status") != "available":
        return problem(409, "the document is not available")
    params = {"Bucket": BUCKET, "Key": f"tenants/{tenant}/documents/{document_id}",
              "ResponseContentDisposition": attachment_disposition(document["name"]),
              "ResponseContentType": document["contentType"]}
    if document.get("versionId"):
        params["VersionId"] = document["versionId"]
    url = S3.generate_presigned_url("get_object", Params=params, ExpiresIn=TTL)
    # The same activity event the Rust route records (`Store::record_event`: a one-Put
    # transaction whose key must be new; see docs/data-model.md).
    event_id = str(uuid.uuid4())
    item = {
        "PK": f"TENANT#{tenant}", "SK": f"EVENT#{event_id}",
        "GSI2PK": f"TENANT#{tenant}#ACTIVITY#DOC#{document_id}", "GSI2SK": f"EVENT#{event_id}",
        "id": event_id, "action": "document.downloaded",
        "actor": {"kind": "staff", "sub": staff["sub"], "email": staff["email"]},
        "at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "item": {"kind": "document", "id": document_id}, "itemName": document["name"],
    }
    CLIENT.transact_write_items(TransactItems=[{"Put": {
        "TableName": TABLE.name, "Item": {k: SERIALIZER.serialize(v) for k, v in item.items()},
        "ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": "PK"},
    }}])
    expires_at = datetime.fromtimestamp(datetime.now(timezone.utc).timestamp() + TTL, timezone.utc)
    return ok({"documentId": document_id, "download": {"method": "GET", "url": url, "headers": {},
                                                       "expiresAt": expires_at.isoformat().replace("+00:00", "Z")}})


def incoming_shares(event):
    """GET /portal/shares"""
    sub = claims(event)["sub"]
    links = TABLE.query(KeyConditionExpression=Key("PK").eq(f"USER#{sub}") & Key("SK").begins_with("CUSTOMER#"))["Items"]
    items = []
    for link in links:
        tenant, contact_id = link["tenantId"], link["contactId"]
        contact = TABLE.get_item(Key={"PK": f"TENANT#{tenant}", "SK": f"CONTACT#{contact_id}"}, ConsistentRead=True).get("Item")
        if not contact or contact.get("accessStatus") != "active":
            continue
        company = TABLE.get_item(Key={"PK": f"TENANT#{tenant}", "SK": "PROFILE"}).get("Item", {})
        shares = TABLE.query(KeyConditionExpression=Key("PK").eq(f"TENANT#{tenant}")
                             & Key("SK").begins_with(f"SHARE#{contact_id}#"))["Items"]
        keys = [{"PK": f"TENANT#{tenant}", "SK": f"DOC#{s['item']['id']}"} for s in shares if s["item"]["kind"] == "document"]
        documents = {}
        if keys:
            found = boto3.resource("dynamodb").batch_get_item(RequestItems={TABLE.name: {"Keys": keys}})
            documents = {d["id"]: d for d in found["Responses"][TABLE.name]}
        for share in shares:
            document = documents.get(share["item"]["id"])
            if document:
                items.append({"id": document["id"], "name": document["name"], "size": int(document.get("size", 0)),
                              "company": {"id": tenant, "name": company.get("name")},
                              "sharedAt": share.get("sharedAt")})
    items.sort(key=lambda i: str(i.get("sharedAt")), reverse=True)
    return ok({"items": items})


def serve(handler):
    api = os.environ["AWS_LAMBDA_RUNTIME_API"]
    base = f"http://{api}/2018-06-01/runtime/invocation"
    while True:
        with urllib.request.urlopen(f"{base}/next") as response:
            request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
            event = json.loads(response.read())
        try:
            result, outcome = handler(event), "response"
        except Exception as error:  # reported to the runtime, as the managed runtime does
            result, outcome = {"errorMessage": str(error), "errorType": type(error).__name__}, "error"
        body = json.dumps(result, default=str).encode()
        urllib.request.urlopen(urllib.request.Request(f"{base}/{request_id}/{outcome}", data=body, method="POST")).read()


if __name__ == "__main__":
    serve({"presign_download": presign_download, "incoming_shares": incoming_shares}[sys.argv[1]])
