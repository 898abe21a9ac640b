// Independent schema checks of MlBuildGuard's outputs, run by the C# tests (tests/MlBuildGuard.Core.Tests/SchemaValidator.cs).
// The point is a second opinion from tools MlBuildGuard does not share code with:
//   node validate.mjs cyclonedx-1.6 FILE             CycloneDX's own strict JSON validator for spec 1.6
//   node validate.mjs oms-bundle FILE SCHEMA_DIR     the OMS v1.0 JSON schemas (draft 2020-12) with ajv, for the bundle
//                                                    and for the in-toto statement inside its DSSE payload
// Exit codes: 0 valid, 1 invalid (errors printed), 2 usage or I/O error.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const OMS_SCHEMA_FILES = ['bundle.schema.json', 'envelope.schema.json', 'predicate.schema.json', 'statement.schema.json'];
const OMS_BUNDLE_ID = 'https://model_signing/bundle/v1.0/schema';
const OMS_STATEMENT_ID = 'https://model_signing/statement/v1.0/schema';

function usage() {
  console.error('usage: node validate.mjs cyclonedx-1.6 FILE | node validate.mjs oms-bundle FILE SCHEMA_DIR');
  return 2;
}

/** The file's JSON, or undefined after reporting it invalid: text that is not JSON fails validation, it is no I/O error. */
async function readJson(label, file) {
  const text = await readFile(file, 'utf-8');
  try {
    return JSON.parse(text);
  } catch (e) {
    report(`${label} (not JSON): ${file}`, [String(e)]);
    return undefined;
  }
}

function report(label, errors) {
  console.log(`INVALID ${label}`);
  console.log(JSON.stringify(errors, null, 2));
}

async function validateCycloneDx(file) {
  const bom = await readJson('CycloneDX 1.6', file);
  if (bom === undefined) {
    return 1;
  }

  const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
  const errors = await validator.validate(JSON.stringify(bom));
  if (errors !== null) {
    report(`CycloneDX 1.6: ${file}`, errors);
    return 1;
  }

  console.log(`VALID CycloneDX 1.6: ${file}`);
  return 0;
}

async function validateOmsBundle(file, schemaDir) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const name of OMS_SCHEMA_FILES) {
    ajv.addSchema(JSON.parse(await readFile(path.join(schemaDir, name), 'utf-8')));
  }

  const bundle = await readJson('OMS bundle', file);
  if (bundle === undefined) {
    return 1;
  }

  const validateBundle = ajv.getSchema(OMS_BUNDLE_ID);
  if (!validateBundle(bundle)) {
    report(`OMS bundle: ${file}`, validateBundle.errors);
    return 1;
  }

  // The bundle schema sees the payload only as base64 text; the statement inside gets its own check.
  let statement;
  try {
    statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf-8'));
  } catch (e) {
    report(`OMS statement (payload is not base64 JSON): ${file}`, [String(e)]);
    return 1;
  }

  const validateStatement = ajv.getSchema(OMS_STATEMENT_ID);
  if (!validateStatement(statement)) {
    report(`OMS statement: ${file}`, validateStatement.errors);
    return 1;
  }

  console.log(`VALID OMS bundle and statement: ${file}`);
  return 0;
}

async function main(args) {
  const [kind, file, schemaDir] = args;
  if (kind === 'cyclonedx-1.6' && file && args.length === 2) {
    return validateCycloneDx(file);
  }

  if (kind === 'oms-bundle' && file && schemaDir && args.length === 3) {
    return validateOmsBundle(file, schemaDir);
  }

  return usage();
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
}
