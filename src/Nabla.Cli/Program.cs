// Entry point of the `nabla` tool; the commands are being built (see issue 2).
Console.Error.WriteLine("nabla: no commands yet");
return 2;
