/**
 * NestJS 11 applications are CommonJS: they load weft-sdk/nestjs with
 * require(), which Node ≥ 20.19 serves from the ES module build (no second
 * build). A CommonJS application, run from the built package, proves the
 * path; this suite runs it on the NestJS the repository installs (12).
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const app = fileURLToPath(new URL('./children/commonjs-app.cjs', import.meta.url))

describe('weft-sdk/nestjs from CommonJS', () => {
  it('is loaded with require() and runs a workflow built by Nest', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [app], { cwd: repoRoot })
    expect(JSON.parse(stdout)).toMatchObject({ say: 'hello CommonJS', nest: expect.stringMatching(/^1[12]\./) })
    expect(stderr).toBe('')
  }, 30_000)
})
