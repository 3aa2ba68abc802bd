/**
 * A small Nest feature for the module's tests: a quote workflow whose
 * constructor asks Nest for a service (by class) and a list (by token), and
 * a controller starting and reading its runs through WeftClient.
 */
import { Body, Controller, Get, Inject, Injectable, Module, Param, Post } from '@nestjs/common'
import { Task, Workflow, WorkflowBase } from 'weft-sdk'
import { WeftClient, WeftModule } from 'weft-sdk/nestjs'

/** A Nest service the workflow receives by its class. */
@Injectable()
export class PriceBook {
  calls = 0
  priceOf(sku: string): number {
    this.calls++
    return sku.length * 10
  }
}

/** A token Nest provides a list under; the workflow writes what each instance did to it. */
export const QuoteLog = 'QuoteLog'

@Workflow({ name: 'nest-quote', version: 1 })
export class QuoteWorkflow extends WorkflowBase<{ sku: string }> {
  static readonly result = 'price'
  static made = 0
  readonly instance = ++QuoteWorkflow.made

  constructor(
    private readonly prices: PriceBook,
    @Inject(QuoteLog) private readonly log: string[],
  ) {
    super()
  }

  @Task()
  price(input: { sku: string }): number {
    this.log.push(`instance ${this.instance} priced ${input.sku}`)
    return this.prices.priceOf(input.sku)
  }
}

@Controller('quotes')
export class QuotesController {
  constructor(private readonly weft: WeftClient) {}

  @Post()
  async start(@Body() body: { sku: string; runId?: string }) {
    const run = await this.weft.start(QuoteWorkflow, { sku: body.sku }, body.runId === undefined ? {} : { runId: body.runId as never })
    return { runId: run.id }
  }

  @Get(':id')
  read(@Param('id') id: string) {
    return this.weft.read(id)
  }
}

@Module({
  imports: [WeftModule.forFeature([QuoteWorkflow])],
  providers: [PriceBook, { provide: QuoteLog, useValue: [] }],
  controllers: [QuotesController],
})
export class QuotesModule {}
