/**
 * `npm run simulate [-- --config path.json]`: the whole model lifecycle offline, on the
 * synthesized app and real data. See README "Try it offline".
 */
import './quiet';
import { playStory } from './story';

// aws-local-stepfunctions uses Promise.withResolvers (Node ≥ 22).
if (!(Promise as any).withResolvers) {
  (Promise as any).withResolvers = () => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise((a, b) => ((resolve = a), (reject = b)));
    return { promise, resolve, reject };
  };
}

const i = process.argv.indexOf('--config');
playStory({ configFile: i > 0 ? process.argv[i + 1] : undefined, print: (line) => console.log(line) }).catch((e) => {
  console.error(process.env.DEBUG ? e : `simulate: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
