import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * esbuild emits ESM, but bundled CommonJS dependencies still call `require` for Node built-ins.
 * The alias avoids clashing with a bundled module's own top-level `createRequire` import.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __ragCreateRequire } from 'node:module'; const require = __ragCreateRequire(import.meta.url);";

/**
 * How the invocations function is bundled (DESIGN 7). Shared by the construct and the cold-start
 * benchmark, so that the benchmark measures the very file CDK deploys. Only a type import of CDK:
 * the benchmark must not load aws-cdk-lib to read these options.
 */
export const INVOCATIONS_BUNDLING = {
  format: 'esm' as nodejs.OutputFormat.ESM,
  /** The runtime is NODEJS_24_X; CDK would derive the same target from it. */
  target: 'node24',
  /** Picks the AWS SDK's tree-shakable ESM builds instead of its pre-bundled CommonJS. */
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  // Error classes set `name` from `new.target.name`; keep it readable in logs.
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: true,
  forceDockerBundling: false,
} satisfies nodejs.BundlingOptions;

/** `NODE_OPTIONS` of the function: stack traces point into the TypeScript sources via the external .map file. */
export const INVOCATIONS_NODE_OPTIONS = '--enable-source-maps';
