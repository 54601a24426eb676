'use strict';
// The project's S3-compatible object store for `./comfysnap services`: s3rver on loopback, data
// under the services folder. Requests must be SigV4-signed with the generated key pair read from
// the credentials file (COMFYSNAP_S3_ACCESS_KEY/SECRET_KEY): s3rver's built-in S3RVER/S3RVER
// pair is revoked, so a wrong or missing key is refused as on a real store.
const fs = require('fs');
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');

function credentials(file) {
  const values = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) values[line.slice(0, at)] = line.slice(at + 1);
  }
  return values;
}

const [credentialsFile, directory, port, bucket] = process.argv.slice(2);
if (!credentialsFile || !directory || !port) {
  console.error('usage: node server.js CREDENTIALS_FILE DATA_DIR PORT [BUCKET]');
  process.exit(2);
}

const { COMFYSNAP_S3_ACCESS_KEY: accessKey, COMFYSNAP_S3_SECRET_KEY: secretKey } = credentials(credentialsFile);
if (!accessKey || !secretKey) {
  console.error(`no COMFYSNAP_S3_ACCESS_KEY/COMFYSNAP_S3_SECRET_KEY in ${credentialsFile}`);
  process.exit(2);
}

AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
new AWSAccount(123456789012, 'comfysnap').createKeyPair(accessKey, secretKey);

new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  vhostBuckets: false,
  configureBuckets: bucket ? [{ name: bucket }] : [],
})
  .run()
  .then(address => console.log(`s3rver listening on ${address.address}:${address.port}`))
  .catch(error => {
    console.error(`s3rver did not start: ${error.message}`);
    process.exit(1);
  });
