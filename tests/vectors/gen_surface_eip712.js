// SPDX-License-Identifier: MIT
// The OracleSurface EIP-712 vectors (docs/options.md "The surface in the
// stf"): type hash, struct hash, digest and signature from ethers v6, for
// the Clearline devnet domain. Run from the repository root:
//   NODE_PATH=contrib/l1/node_modules node tests/vectors/gen_surface_eip712.js \
//     > tests/vectors/eip712_surface.json
const { ethers } = require('ethers');

const domain = {
  name: 'Clearline',
  version: '1',
  chainId: 31337,
  verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
};
const types = {
  OracleSurface: [
    { name: 'market', type: 'uint32' },
    { name: 'expiry', type: 'uint64' },
    { name: 'a', type: 'int64' },
    { name: 'b', type: 'int64' },
    { name: 'rho', type: 'int64' },
    { name: 'm', type: 'int64' },
    { name: 's', type: 'int64' },
    { name: 'timestamp', type: 'uint64' },
  ],
};
// anvil's first two development keys
const keys = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
];
const messages = [
  // a day's slice: negative rho, m = 0
  { market: 1, expiry: '1700086400', a: '600000000000000', b: '2000000000000000',
    rho: '-300000000000000000', m: '0', s: '100000000000000000',
    timestamp: '1700000001' },
  // negative a and m, the int64 extremes of rho's range
  { market: 2, expiry: '1893456000', a: '-1000000000000000', b: '50000000000000000',
    rho: '-999999999999999999', m: '-250000000000000000', s: '1',
    timestamp: '1893450000' },
  { market: 4294967295, expiry: '18446744073709551615',
    a: '-9223372036854775808', b: '9223372036854775807',
    rho: '999999999999999999', m: '9223372036854775807',
    s: '9223372036854775807', timestamp: '18446744073709551615' },
];

async function main() {
  const enc = ethers.TypedDataEncoder.from(types);
  const out = {
    description: 'EIP-712 OracleSurface(uint32 market,uint64 expiry,int64 a,' +
      'int64 b,int64 rho,int64 m,int64 s,uint64 timestamp): the signed SVI ' +
      'slice of ORACLE_SURFACE; int64 fields are sign-extended to 32 bytes. ' +
      'Made by ethers v6 (gen_surface_eip712.js).',
    domain,
    encodeType: enc.encodeType('OracleSurface'),
    typeHash: ethers.id(enc.encodeType('OracleSurface')),
    vectors: [],
  };
  for (let i = 0; i < messages.length; i++) {
    const w = new ethers.Wallet(keys[i % keys.length]);
    const msg = messages[i];
    const sig = ethers.Signature.from(await w.signTypedData(domain, types, msg));
    out.vectors.push({
      message: msg,
      signer: w.address,
      structHash: enc.hashStruct('OracleSurface', msg),
      digest: ethers.TypedDataEncoder.hash(domain, types, msg),
      signature: sig.serialized,
    });
  }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}
main();
