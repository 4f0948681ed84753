// Redaction of log records, the JSON log line, and the operational configuration (metrics, tracing, versioning,
// shutdown grace) read from the environment.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../config';
import { configSecrets, makeLogger } from '../../workers/telemetry/logging';
import { makeRedactor, REDACTED } from '../../workers/telemetry/redact';

describe('redaction', () => {
  const r = makeRedactor(['super-secret-value-123', 'short']);

  it('hides the signing parts of presigned URLs (OSS V1 and V4, STS) and keeps the rest', () => {
    const v1 = 'http://localhost:9/b/k.mp4?OSSAccessKeyId=LTAIabc&Expires=1700000000&Signature=abc%2Bdef%3D';
    assert.equal(r.text(v1), `http://localhost:9/b/k.mp4?OSSAccessKeyId=${REDACTED}&Expires=1700000000&Signature=${REDACTED}`);
    const v4 =
      'https://b.oss-cn-shanghai.aliyuncs.com/k?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=LTAI%2F20240101%2Fcn-shanghai%2Foss%2Faliyun_v4_request&x-oss-date=20240101T000000Z&x-oss-expires=3600&x-oss-signature=ab12&security-token=CAIS123';
    const out = r.text(`fetch failed: GET ${v4} answered 403`);
    assert.doesNotMatch(out, /LTAI|ab12|CAIS123/);
    assert.match(out, /^fetch failed: GET https:\/\/b\.oss-cn-shanghai\.aliyuncs\.com\/k\?x-oss-signature-version=\[REDACTED\]&/);
    assert.match(out, / answered 403$/);
  });

  it('hides bearer tokens, Authorization header values and configured secrets wherever they appear', () => {
    assert.equal(r.text('Authorization: Bearer eyJhbGciOi.payload.sig'), `Authorization: Bearer ${REDACTED}`);
    assert.equal(r.text('OSS LTAIabc:c2lnbmF0dXJl'), `OSS ${REDACTED}`);
    assert.equal(r.text('ACS3-HMAC-SHA256 Credential=LTAI,SignedHeaders=host,Signature=ff'), `ACS3-HMAC-SHA256 ${REDACTED}`);
    assert.equal(r.text('key super-secret-value-123 leaked'), `key ${REDACTED} leaked`);
    assert.equal(r.text('short words stay'), 'short words stay', 'secrets under 8 characters are not searched for');
    assert.equal(r.text('uploaded to OSS bucket vsr-local'), 'uploaded to OSS bucket vsr-local');
  });

  it('hides values under secret-looking keys and walks nested metadata and errors', () => {
    const err = new Error('GET http://h/k?Signature=s3cr3t failed');
    const out = r.value({ taskToken: 'AAAA', nested: { apiKey: 'k', list: ['super-secret-value-123'] }, error: err, n: 3 }) as Record<
      string,
      unknown
    >;
    assert.equal(out.taskToken, REDACTED);
    assert.deepEqual(out.nested, { apiKey: REDACTED, list: [REDACTED] });
    assert.equal(out.n, 3);
    const e = out.error as { message: string; stack: string; name: string };
    assert.equal(e.name, 'Error');
    assert.equal(e.message, `GET http://h/k?Signature=${REDACTED} failed`);
    assert.doesNotMatch(e.stack, /s3cr3t/);
  });
});

describe('secrets the configuration holds', () => {
  it('include the payload keys, current and old, without their key ids', () => {
    const current = Buffer.alloc(32, 1).toString('base64');
    const old = Buffer.alloc(32, 2).toString('base64');
    const env = { VSR_PAYLOAD_KEY: `k2:${current}`, VSR_PAYLOAD_KEYS_OLD: ` ${old} ,` };
    const secrets = configSecrets(loadConfig(env), env);
    const r = makeRedactor(secrets);
    assert.equal(r.text(`sealed with k2:${current}, opened with ${old}`), `sealed with k2:${REDACTED}, opened with ${REDACTED}`);
  });
});

describe('JSON log lines', () => {
  it('writes one redacted JSON object a line, ids first, run id under one name', () => {
    const lines: string[] = [];
    const logger = makeLogger({ level: 'INFO', format: 'json', redactor: makeRedactor([]), write: (l) => lines.push(l) });
    logger.debug('dropped below the level');
    logger.info('provider call http://h/k?Signature=abc', {
      workflowRunId: 'r1',
      workflowId: 'w1',
      attempt: 2,
      stage: 'polling',
      jobId: 'J',
    });
    assert.equal(lines.length, 1);
    assert.ok(lines[0].endsWith('\n'));
    const rec = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.deepEqual(Object.keys(rec).slice(0, 8), ['time', 'level', 'msg', 'workflowId', 'runId', 'stage', 'jobId', 'attempt']);
    assert.equal(rec.msg, `provider call http://h/k?Signature=${REDACTED}`);
    assert.equal(rec.runId, 'r1');
    assert.equal(rec.workflowRunId, undefined);
  });
});

describe('operational configuration', () => {
  it('reads the metrics address, shutdown grace and log settings', () => {
    const c = loadConfig({
      VSR_METRICS_ADDRESS: '127.0.0.1:9464',
      VSR_SHUTDOWN_GRACE: '2m',
      VSR_LOG_LEVEL: 'debug',
      VSR_LOG_FORMAT: 'text',
    });
    assert.equal(c.telemetry.metricsAddress, '127.0.0.1:9464');
    assert.equal(c.shutdownGraceMs, 120_000);
    assert.equal(c.telemetry.logLevel, 'DEBUG');
    assert.equal(loadConfig({ VSR_SHUTDOWN_GRACE: '45' }).shutdownGraceMs, 45_000);
    assert.equal(loadConfig({ VSR_SHUTDOWN_GRACE: '1500ms' }).shutdownGraceMs, 1500);
    assert.equal(loadConfig({}).shutdownGraceMs, 30_000);
    assert.throws(() => loadConfig({ VSR_METRICS_ADDRESS: '9464' }), /VSR_METRICS_ADDRESS=9464 must be host:port/);
    assert.throws(() => loadConfig({ VSR_SHUTDOWN_GRACE: 'soon' }), /VSR_SHUTDOWN_GRACE=soon must be a duration/);
    assert.throws(() => loadConfig({ VSR_LOG_FORMAT: 'xml' }), ConfigError);
  });

  it('turns tracing on only with an OTLP endpoint, and off again with OTEL_TRACES_EXPORTER=none', () => {
    assert.equal(loadConfig({}).telemetry.tracing, undefined);
    assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).telemetry.tracing, { serviceName: 'vsr' });
    assert.deepEqual(
      loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/v1/traces', OTEL_SERVICE_NAME: 'media' }).telemetry.tracing,
      {
        serviceName: 'media',
      },
    );
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_TRACES_EXPORTER: 'none' }).telemetry.tracing, undefined);
  });

  it('turns worker versioning on with a deployment name, pinned by default', () => {
    assert.equal(loadConfig({}).deployment, undefined);
    assert.deepEqual(loadConfig({ VSR_DEPLOYMENT_NAME: 'vsr-prod' }).deployment, {
      name: 'vsr-prod',
      buildId: undefined,
      defaultBehavior: 'PINNED',
    });
    assert.deepEqual(
      loadConfig({ VSR_DEPLOYMENT_NAME: 'vsr', VSR_BUILD_ID: '1.2.0+g3f2a', VSR_VERSIONING_BEHAVIOR: 'auto-upgrade' }).deployment,
      {
        name: 'vsr',
        buildId: '1.2.0+g3f2a',
        defaultBehavior: 'AUTO_UPGRADE',
      },
    );
    assert.throws(() => loadConfig({ VSR_DEPLOYMENT_NAME: 'vsr.prod' }), /may use only letters, digits, _ and -/);
    assert.throws(() => loadConfig({ VSR_BUILD_ID: 'b1' }), /VSR_BUILD_ID needs VSR_DEPLOYMENT_NAME/);
    assert.throws(() => loadConfig({ VSR_DEPLOYMENT_NAME: 'vsr', VSR_VERSIONING_BEHAVIOR: 'sometimes' }), /pinned or auto-upgrade/);
  });
});
