// Verifies a key-method Sigstore bundle (as OMS writes it) with Sigstore's own JavaScript verifier, run by the C# tests
// (tests/Shared/SchemaValidator.cs). A second opinion from code MlBuildGuard shares nothing with:
//   node sigstore-verify.mjs BUNDLE_JSON PUBLIC_KEY_PEM
// The bundle is read by @sigstore/bundle (bundleFromJSON: protobuf JSON + the v0.3 shape checks), turned into a signed
// entity and verified by @sigstore/verify's Verifier against trust material that holds only the given public key, filed
// under the bundle's own key hint. The key method has no transparency-log entries, SCTs or timestamps, so those
// thresholds are 0; what is left, and checked, is the ECDSA signature over the DSSE pre-authentication encoding.
// Exit codes: 0 verified ("verified" printed), 1 not verified (the reason printed), 2 usage or I/O error.
import { readFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const KEY_DETAILS = {
  prime256v1: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
  secp384r1: PublicKeyDetails.PKIX_ECDSA_P384_SHA_384,
  secp521r1: PublicKeyDetails.PKIX_ECDSA_P521_SHA_512,
};

class UsageError extends Error {}

// The public key as the trusted root's protobuf PublicKey: DER SubjectPublicKeyInfo plus its key details.
async function readPublicKey(file) {
  let key;
  try {
    key = createPublicKey(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read a public key from '${file}': ${error.message}`);
  }

  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  if (!(curve in KEY_DETAILS)) {
    throw new UsageError(`'${file}' is not a P-256, P-384 or P-521 public key (${key.asymmetricKeyType} ${curve ?? ''})`);
  }

  return { rawBytes: key.export({ type: 'spki', format: 'der' }), keyDetails: KEY_DETAILS[curve] };
}

async function readJson(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read '${file}': ${error.message}`);
  }

  return JSON.parse(text); // malformed JSON is a verification failure (exit 1), not a usage error
}

function describe(error) {
  const fields = error.fields ? ` [${error.fields.join(', ')}]` : ''; // @sigstore/bundle ValidationError
  const cause = error.cause ? ` (cause: ${error.cause.message ?? error.cause})` : '';
  return `${error.name}${error.code ? ` ${error.code}` : ''}: ${error.message}${fields}${cause}`;
}

async function main(args) {
  if (args.length !== 2) {
    console.error('usage: node sigstore-verify.mjs BUNDLE_JSON PUBLIC_KEY_PEM');
    return 2;
  }

  const [bundleFile, keyFile] = args;
  let publicKey;
  let json;
  try {
    publicKey = await readPublicKey(keyFile);
    json = await readJson(bundleFile);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`sigstore-verify: ${error.message}`);
      return 2;
    }

    console.error(`NOT VERIFIED: ${describe(error)}`);
    return 1;
  }

  try {
    const bundle = bundleFromJSON(json);
    const hint = bundle.verificationMaterial.content?.$case === 'publicKey' ? bundle.verificationMaterial.content.publicKey.hint : '';
    const trustedRoot = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' });
    const trustMaterial = toTrustMaterial(trustedRoot, { [hint]: publicKey });
    const verifier = new Verifier(trustMaterial, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    verifier.verify(toSignedEntity(bundle));
  } catch (error) {
    console.error(`NOT VERIFIED: ${describe(error)}`);
    return 1;
  }

  console.log('verified');
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
