/**
 * Snapshot normalizer: strips what changes without a behaviour change (asset hashes, the
 * ml/ code version hash, CDK metadata), so snapshots show only meant changes.
 */
export function normalizeTemplate(template: Record<string, any>): Record<string, any> {
  const text = JSON.stringify(template)
    .replace(/[0-9a-f]{64}(\.zip|\.json)?/g, '<asset-hash>$1')
    .replace(/\/code\/[0-9a-f]{12}\//g, '/code/<code-version>/')
    .replace(/"code-version":"[0-9a-f]{12}"/g, '"code-version":"<code-version>"')
    .replace(/\\"code-version\\":\\"[0-9a-f]{12}\\"/g, '\\"code-version\\":\\"<code-version>\\"');
  const out = JSON.parse(text);
  for (const [id, r] of Object.entries(out.Resources ?? {}) as [string, any][]) {
    if (r.Type === 'AWS::CDK::Metadata') delete out.Resources[id];
    else if (r.Metadata) delete r.Metadata;
  }
  delete out.Conditions?.CDKMetadataAvailable;
  if (out.Conditions && Object.keys(out.Conditions).length === 0) delete out.Conditions;
  return out;
}
