// A second opinion on MlBuildGuard's data validation from Frictionless's own JavaScript library (npm 'tableschema'),
// run by the C# tests (tests/Shared/SchemaValidator.cs):
//   node tableschema-check.mjs schema FILE              is FILE a valid Table Schema descriptor (JSON)?
//   node tableschema-check.mjs data SCHEMA_FILE CSV…    does every row of each CSV cast to SCHEMA_FILE's types and meet
//                                                       its constraints (required, unique, primaryKey, minimum, maximum,
//                                                       minLength, maxLength, pattern, enum) and its field names? One
//                                                       line per file: "valid FILE" or "invalid FILE: errors".
// Exit codes: 0 all valid, 1 something invalid (the errors are printed), 2 usage or I/O error.
import { readFile } from 'node:fs/promises';
import tableschema from 'tableschema';

const { Table, validate } = tableschema;

async function checkSchema(file) {
  const descriptor = JSON.parse(await readFile(file, 'utf-8'));
  const { valid, errors } = await validate(descriptor);
  if (!valid) {
    for (const error of errors) console.log(`schema: ${error.message}`);
  }
  return valid ? 0 : 1;
}

async function checkData(schemaFile, dataFiles) {
  const schema = JSON.parse(await readFile(schemaFile, 'utf-8'));
  let invalid = 0;
  for (const dataFile of dataFiles) {
    const errors = await dataErrors(schema, dataFile);
    console.log(errors.length === 0 ? `valid ${dataFile}` : `invalid ${dataFile}: ${errors.join(' | ')}`);
    if (errors.length > 0) invalid++;
  }
  return invalid === 0 ? 0 : 1;
}

async function dataErrors(schema, dataFile) {
  const table = await Table.load(dataFile, { schema });
  const errors = [];
  try {
    const rows = await table.read({ forceCast: true });
    for (const row of rows) {
      if (row instanceof Error) {
        // A row's error lists its cast errors, or is itself the error (unique and key violations).
        for (const error of row.errors?.length ? row.errors : [row]) errors.push(error.message);
      }
    }
  } catch (error) {
    for (const e of error.errors?.length ? error.errors : [error]) errors.push(e.message);
  }
  return errors;
}

async function main(argv) {
  try {
    if (argv[0] === 'schema' && argv.length === 2) return await checkSchema(argv[1]);
    if (argv[0] === 'data' && argv.length >= 3) return await checkData(argv[1], argv.slice(2));
  } catch (error) {
    console.error(String(error?.stack ?? error));
    return 2;
  }
  console.error('usage: node tableschema-check.mjs schema FILE | node tableschema-check.mjs data SCHEMA_FILE CSV…');
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
