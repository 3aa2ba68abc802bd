/**
 * The order workflow, a Nest provider in all but name: its constructor asks
 * Nest for a service of the orders module (`Inventory`, by its class) and
 * for Weft's HTTP adapter to the payments API (`@Inject(Payments)`, the
 * token `WeftModule.forRoot` registered it under).
 *
 * ```
 * reserve (Inventory) → approval (waits for the 'approved' event) → charge (payments adapter) → ship
 * ```
 *
 * @module
 */
import { Inject, Injectable } from '@nestjs/common'
import { Schema } from 'effect'
import { DependsOn, HttpAdapter, Task, Workflow, WorkflowBase, type TaskContext } from 'weft-sdk'

/** The token the payments adapter is registered under, in Weft's engine and in Nest's container. */
export const Payments = Symbol('Payments')

/** What an order asks for. */
export interface OrderInput {
  readonly orderId: string
  readonly sku: string
  readonly quantity: number
}

/** Units set aside for an order. */
export interface Reservation {
  readonly sku: string
  readonly quantity: number
  readonly total: number
}

/** A Nest service of the orders module: the stock and the prices. */
@Injectable()
export class Inventory {
  private readonly prices = new Map([['tea-001', 12.5], ['mug-001', 9]])
  readonly reserved: string[] = []

  reserve(orderId: string, sku: string, quantity: number): Reservation {
    const price = this.prices.get(sku)
    if (price === undefined) throw new Error(`unknown sku ${sku}`)
    this.reserved.push(orderId)
    return { sku, quantity, total: price * quantity }
  }
}

const Charge = Schema.Struct({ chargeId: Schema.String, amount: Schema.Number })

@Workflow({ name: 'nest-order', version: 1 })
export class OrderWorkflow extends WorkflowBase<OrderInput> {
  static readonly result = 'ship'

  constructor(
    private readonly inventory: Inventory,
    @Inject(Payments) private readonly payments: HttpAdapter,
  ) {
    super()
  }

  @Task()
  reserve(input: OrderInput): Reservation {
    return this.inventory.reserve(input.orderId, input.sku, input.quantity)
  }

  /** Waits (durably: across restarts) for someone to approve the order. */
  @DependsOn('reserve')
  async approval(_reservation: Reservation, ctx: TaskContext<OrderInput>): Promise<string> {
    return (await ctx.waitForEvent<{ by: string }>('approved')).by
  }

  @DependsOn('reserve', 'approval')
  charge(reservation: Reservation, _approvedBy: string, ctx: TaskContext<OrderInput>) {
    return ctx.use(this.payments).post('charges', { orderId: ctx.input.orderId, amount: reservation.total }, { schema: Charge, operation: 'charge' })
  }

  @DependsOn('approval', 'charge')
  ship(approvedBy: string, charge: typeof Charge.Type): string {
    return `shipped, ${charge.amount} charged as ${charge.chargeId}, approved by ${approvedBy}`
  }
}
