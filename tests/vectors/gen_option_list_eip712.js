// SPDX-License-Identifier: MIT
// The OptionList EIP-712 vectors (docs/options.md "Listing"): type hash,
// struct hash, digest and signature from ethers v6 for the Clearline
// devnet domain, appended to tests/vectors/eip712.json (entries of
// primaryType OptionList are replaced); castAgrees is true when Foundry's
// cast (contrib/l1/node_modules/.bin/cast) makes the same signature with
// `cast wallet sign --data`. Run from the repository root:
//   NODE_PATH=contrib/l1/node_modules node tests/vectors/gen_option_list_eip712.js
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const { ethers } = require('ethers');

const file = path.join(__dirname, 'eip712.json');
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
const domain = doc.domain;
const types = {
  OptionList: [
    { name: 'template', type: 'uint32' },
    { name: 'kind', type: 'uint8' },
    { name: 'strike', type: 'uint64' },
    { name: 'expiry', type: 'uint64' },
    { name: 'symbol', type: 'string' },
    { name: 'nonce', type: 'uint64' },
  ],
};
const keys = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
];
const messages = [
  { template: 4, kind: 1, strike: '700000', expiry: '1700086400',
    symbol: 'BTC-70000-C', nonce: '0' },
  { template: 4294967295, kind: 2, strike: '18446744073709551615',
    expiry: '18446744073709551615', symbol: 'A.b_C-0123456789',
    nonce: '18446744073709551615' },
];

const castBin = path.join(__dirname, '..', '..', 'contrib', 'l1', 'node_modules', '.bin', 'cast');

function castSignature(key, msg) {
  if (!fs.existsSync(castBin)) return null;
  const typed = {
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
      ...types,
    },
    primaryType: 'OptionList',
    domain,
    message: msg,
  };
  const r = childProcess.spawnSync(castBin, ['wallet', 'sign', '--private-key', key,
    '--data', JSON.stringify(typed)], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function main() {
  const enc = ethers.TypedDataEncoder.from(types);
  const vectors = doc.vectors.filter((v) => v.primaryType !== 'OptionList');
  for (let i = 0; i < messages.length; i++) {
    const w = new ethers.Wallet(keys[i % keys.length]);
    const msg = messages[i];
    const sig = ethers.Signature.from(await w.signTypedData(domain, types, msg));
    vectors.push({
      primaryType: 'OptionList',
      message: msg,
      signerKey: keys[i % keys.length],
      signer: w.address,
      encodeType: enc.encodeType('OptionList'),
      typeHash: ethers.id(enc.encodeType('OptionList')),
      structHash: enc.hashStruct('OptionList', msg),
      digest: ethers.TypedDataEncoder.hash(domain, types, msg),
      signature: sig.serialized,
      r: sig.r,
      s: sig.s,
      v: sig.v,
      castAgrees: castSignature(keys[i % keys.length], msg) === sig.serialized,
    });
  }
  doc.vectors = vectors;
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
}
main();
