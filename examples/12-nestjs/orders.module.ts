/**
 * The orders feature: a controller that starts an order and returns its run
 * id, sends the approval event, and reads the run — through `WeftClient` —
 * and the module declaring the workflow with `WeftModule.forFeature`, next
 * to the service its constructor needs.
 *
 * @module
 */
import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common'
import type { RunId } from 'weft-sdk'
import { WeftClient, WeftModule, type RunView } from 'weft-sdk/nestjs'
import { Inventory, OrderWorkflow, type OrderInput } from './order-workflow.js'

@Controller('orders')
export class OrdersController {
  constructor(private readonly weft: WeftClient) {}

  /** Starts an order; the order id is the run id, so a retried request starts nothing new. */
  @Post()
  async start(@Body() order: OrderInput): Promise<{ runId: string }> {
    const run = await this.weft.start(OrderWorkflow, order, { runId: `order-${order.orderId}` as RunId })
    return { runId: run.id }
  }

  @Post(':runId/approval')
  async approve(@Param('runId') runId: string, @Body() approval: { by: string }): Promise<{ sent: true }> {
    await this.weft.signal(runId, 'approved', approval)
    return { sent: true }
  }

  @Get(':runId')
  read(@Param('runId') runId: string): Promise<RunView> {
    return this.weft.read(runId)
  }
}

@Module({ imports: [WeftModule.forFeature([OrderWorkflow])], providers: [Inventory], controllers: [OrdersController] })
export class OrdersModule {}
