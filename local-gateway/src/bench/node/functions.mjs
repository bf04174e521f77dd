// The Node.js 20 + AWS SDK for JavaScript v3 peer of `GET /documents/{documentId}/download`
// (the transfers function), for the side-by-side benchmark (`cargo xtask bench`).
//
// It makes the same AWS requests as the Rust route, in the same order, with the same keys,
// items and presign parameters (the bench checks the requests against the Rust function's
// through the recording proxy): the caller's membership (consistent GetItem), the document
// (consistent GetItem), a presigned GET of its pinned version (no request), and the activity
// event (TransactWriteItems, one Put that must be new). It runs behind a minimal Lambda
// Runtime API loop, like the managed runtime's, and is bundled into one file by esbuild:
//     node functions.js presign_download

import http from "node:http";
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

// Clients at init, as a Lambda function builds them once per sandbox. The endpoint comes
// from AWS_ENDPOINT_URL, which the SDK reads itself; path-style addressing where an
// endpoint is set, as the Rust functions do (`shared/src/aws.rs`).
const TABLE = process.env.TABLE_NAME;
const BUCKET = process.env.DOCUMENTS_BUCKET;
const TTL = Number(process.env.DOWNLOAD_URL_TTL_SECONDS ?? "300");
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });

const json = (statusCode, body, type = "application/json") => ({
  statusCode,
  headers: { "content-type": type },
  body: JSON.stringify(body),
});
const problem = (status, detail) => json(status, { status, detail }, "application/problem+json");

// `shared/src/storage.rs` `attachment_disposition`: a quoted ASCII fallback and the RFC 5987
// UTF-8 form, every byte but letters and digits percent-encoded.
function attachmentDisposition(name) {
  const fallback = [...name]
    .map((c) => (c === " " || (/^[\x21-\x7e]$/.test(c) && !'"\\;%'.includes(c)) ? c : "_"))
    .join("");
  const encoded = [...new TextEncoder().encode(name)]
    .map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`))
    .join("");
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

// RFC 3339 in UTC, as the Rust items hold it.
const now = () => new Date().toISOString();

async function presignDownload(event) {
  const sub = event.requestContext?.authorizer?.jwt?.claims?.sub;
  if (!sub) return problem(401, "not signed in");
  const { Item: staff } = await db.send(
    new GetCommand({ TableName: TABLE, Key: { PK: `USER#${sub}`, SK: "STAFF" }, ConsistentRead: true }),
  );
  if (!staff) return problem(403, "this account is not a staff member of any company");
  if ((staff.companyStatus ?? "active") !== "active") return problem(403, "company-suspended");
  const tenant = staff.tenantId;
  const documentId = event.pathParameters?.documentId;
  const { Item: document } = await db.send(
    new GetCommand({ TableName: TABLE, Key: { PK: `TENANT#${tenant}`, SK: `DOC#${documentId}` }, ConsistentRead: true }),
  );
  if (!document) return problem(404, "no such document");
  if (document.status !== "available") return problem(409, "the document is not available");
  const url = await getSignedUrl(
    s3,
    new GetObjectCommand({
      Bucket: BUCKET,
      Key: `tenants/${tenant}/documents/${documentId}`,
      VersionId: document.versionId,
      ResponseContentDisposition: attachmentDisposition(document.name),
      ResponseContentType: document.contentType,
    }),
    { expiresIn: TTL },
  );
  // The activity event the Rust route records (`ActivityEvent`, `Store::record_event`): a
  // one-Put transaction whose key must be new.
  const eventId = randomUUID();
  await db.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: TABLE,
            Item: {
              PK: `TENANT#${tenant}`,
              SK: `EVENT#${eventId}`,
              GSI2PK: `TENANT#${tenant}#ACTIVITY#DOC#${documentId}`,
              GSI2SK: `EVENT#${eventId}`,
              id: eventId,
              action: "document.downloaded",
              actor: { kind: "staff", sub: staff.sub, email: staff.email },
              at: now(),
              item: { kind: "document", id: documentId },
              itemName: document.name,
            },
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": "PK" },
          },
        },
      ],
    }),
  );
  const expiresAt = new Date(Date.now() + TTL * 1000).toISOString();
  return json(200, { documentId, download: { method: "GET", url, headers: {}, expiresAt } });
}

// The Runtime API loop: one event at a time, as the managed runtime runs a handler.
const api = process.env.AWS_LAMBDA_RUNTIME_API;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: api.split(":")[0], port: Number(api.split(":")[1]), path, method, agent },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) {
      req.setHeader("content-type", "application/json");
      req.end(body);
    } else {
      req.end();
    }
  });
}

async function serve(handler) {
  const base = "/2018-06-01/runtime/invocation";
  for (;;) {
    const next = await request("GET", `${base}/next`);
    const id = next.headers["lambda-runtime-aws-request-id"];
    let outcome = "response";
    let result;
    try {
      result = await handler(JSON.parse(next.body));
    } catch (error) {
      // Reported to the runtime, as the managed runtime does.
      outcome = "error";
      result = { errorMessage: String(error?.message ?? error), errorType: error?.name ?? "Error" };
    }
    await request("POST", `${base}/${id}/${outcome}`, JSON.stringify(result));
  }
}

const handlers = { presign_download: presignDownload };
const handler = handlers[process.argv[2]];
if (!handler) {
  console.error(`usage: node functions.js ${Object.keys(handlers).join(" | ")}`);
  process.exit(2);
}
serve(handler);
