// A CommonJS Nest application (as NestJS 11 applications are compiled) that loads weft-sdk and
// weft-sdk/nestjs with require(): Node ≥ 20.19 loads an ES module from require() when its graph has
// no top-level await, so the package needs no second (CommonJS) build. Written without decorator
// syntax (Module(...)(class), metadata defined by hand), so that node runs it as it is. Prints one
// JSON line: the run's result and the NestJS version it ran on.
require('reflect-metadata')
const { Injectable, Module } = require('@nestjs/common')
const { NestFactory } = require('@nestjs/core')
const { MemoryWorkflowStore, Task, Workflow, WorkflowBase } = require('weft-sdk')
const { WeftClient, WeftModule } = require('weft-sdk/nestjs')

class Greeter {
  greet(name) {
    return `hello ${name}`
  }
}
Injectable()(Greeter)

class Hello extends WorkflowBase {
  constructor(greeter) {
    super()
    this.greeter = greeter
  }
  say(input) {
    return this.greeter.greet(input.name)
  }
}
Reflect.defineMetadata('design:paramtypes', [Greeter], Hello)
Task()(Hello.prototype, 'say', Object.getOwnPropertyDescriptor(Hello.prototype, 'say'))
Workflow({ name: 'commonjs-hello', version: 1 })(Hello)

class Greetings {}
Module({ imports: [WeftModule.forFeature([Hello])], providers: [Greeter] })(Greetings)
class App {}
Module({ imports: [WeftModule.forRoot({ store: new MemoryWorkflowStore() }), Greetings] })(App)

;(async () => {
  const app = await NestFactory.createApplicationContext(App, { logger: false })
  const run = await app.get(WeftClient).start(Hello, { name: 'CommonJS' })
  const result = await run.result()
  process.stdout.write(`${JSON.stringify({ say: result.output('say'), nest: require('@nestjs/core/package.json').version })}\n`)
  await app.close()
})().catch((error) => {
  console.error(error)
  process.exit(1)
})
