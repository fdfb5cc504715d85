global using Nabla.Data;
global using Nabla.Serialization;
